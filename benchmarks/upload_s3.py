"""tus ingest on the S3 upload store against a bare boto3 multipart upload of the same bytes
to the same SeaweedFS, in one run (issue 11, ADR 0070).

    python benchmarks/upload_s3.py [--size-mib 256] [--rounds 3] [--part-mib 16]

Each round runs, interleaved: tus with 50 MiB PATCHes through ``vidhost serve`` (S3 store,
parts of ``--part-mib``), and boto3 ``create_multipart_upload`` + sequential ``upload_part``
of the same part size + ``complete_multipart_upload``. A second reference, boto3's
``upload_fileobj`` (its default: 8 MiB parts, 10 threads), is printed too. The tus upload is
a partial one, so its time is ingest only (no video probe after the last byte). Prints the
median MB/s of each, the ratio tus / boto3 (goal: >= 0.7) and the server's peak RSS growth.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _tus import MIB, body, patch_all  # noqa: E402

from tests.s3 import SeaweedS3, new_bucket  # noqa: E402
from tests.server import ServerProcess  # noqa: E402

CHUNK = 50 * MIB


def data(size: int) -> bytes:
    return b"".join(body(size))


def tus(c: httpx.Client, size: int) -> float:
    start = time.perf_counter()
    r = c.post(
        "/api/v1/videos/tus", headers={"Upload-Length": str(size), "Upload-Concat": "partial"}
    )
    r.raise_for_status()
    url = r.headers["location"]
    patch_all(c, url, size, CHUNK)
    elapsed = time.perf_counter() - start
    assert c.delete(url).status_code == 204  # aborts the multipart upload
    return elapsed


def boto3_multipart(s3: object, bucket: str, size: int, part: int) -> float:
    key = f"bench/{time.monotonic_ns()}"
    payload = data(part)
    start = time.perf_counter()
    mp = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]  # type: ignore[attr-defined]
    parts = []
    sent = 0
    while sent < size:
        n = min(part, size - sent)
        number = len(parts) + 1
        etag = s3.upload_part(  # type: ignore[attr-defined]
            Bucket=bucket, Key=key, UploadId=mp, PartNumber=number, Body=payload[:n]
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
        sent += n
    s3.complete_multipart_upload(  # type: ignore[attr-defined]
        Bucket=bucket, Key=key, UploadId=mp, MultipartUpload={"Parts": parts}
    )
    elapsed = time.perf_counter() - start
    s3.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    return elapsed


def boto3_fileobj(s3: object, bucket: str, size: int) -> float:
    key = f"bench/{time.monotonic_ns()}"
    payload = data(size)
    start = time.perf_counter()
    s3.upload_fileobj(io.BytesIO(payload), bucket, key)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    s3.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    return elapsed


class PeakRss:
    """The server process's peak RSS while it runs (sampled every 20 ms)."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def growth_mib(self) -> float:
        self.stop.set()
        self.thread.join()
        return (self.peak - self.base) / MIB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part-mib", type=int, default=16)
    args = parser.parse_args()
    size = args.size_mib * MIB
    part = args.part_mib * MIB
    with tempfile.TemporaryDirectory(prefix="vidhost-s3-bench-") as tmp:
        weed = SeaweedS3(Path(tmp) / "weed").start()
        bucket = new_bucket()
        server = ServerProcess(
            Path(tmp) / "data",
            {
                **weed.env(bucket),
                "VIDHOST_AUTH": "none",
                "VIDHOST_EMBEDDED_WORKER": "false",
                "VIDHOST_UPLOAD_PART_SIZE": str(part),
                "VIDHOST_LOG_LEVEL": "WARNING",
            },
        )
        try:
            server.start()
            from botocore.config import Config

            s3 = __import__("boto3").client(
                "s3",
                endpoint_url=weed.endpoint,
                region_name="us-east-1",
                aws_access_key_id=weed.env(bucket)["VIDHOST_S3_ACCESS_KEY_ID"],
                aws_secret_access_key=weed.env(bucket)["VIDHOST_S3_SECRET_ACCESS_KEY"],
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
            results: dict[str, list[float]] = {"tus": [], "boto3": [], "boto3-threads": []}
            with httpx.Client(
                base_url=server.url, headers={"Tus-Resumable": "1.0.0"}, timeout=600
            ) as c:
                assert server.proc is not None
                rss = PeakRss(server.proc.pid)  # from before the first PATCH
                tus(c, min(size, 64 * MIB))  # warm-up: connections, first parts
                boto3_multipart(s3, bucket, min(size, 64 * MIB), part)
                for i in range(args.rounds):
                    results["tus"].append(size / tus(c, size) / 1e6)
                    results["boto3"].append(size / boto3_multipart(s3, bucket, size, part) / 1e6)
                    results["boto3-threads"].append(size / boto3_fileobj(s3, bucket, size) / 1e6)
                    print(
                        f"round {i + 1}: "
                        + ", ".join(f"{k} {v[-1]:.0f} MB/s" for k, v in results.items()),
                        flush=True,
                    )
            growth = rss.growth_mib()
            med = {k: statistics.median(v) for k, v in results.items()}
            print(f"{args.size_mib} MiB, tus chunks 50 MiB, parts {args.part_mib} MiB, median of "
                  f"{args.rounds} interleaved rounds:")  # fmt: skip
            for k, v in med.items():
                print(f"  {k:14s} {v:7.1f} MB/s")
            print(
                f"  ratio tus / boto3 multipart (same part size) = {med['tus'] / med['boto3']:.2f}"
            )
            print(f"  ratio tus / boto3 upload_fileobj (threads)   = "
                  f"{med['tus'] / med['boto3-threads']:.2f}")  # fmt: skip
            print(f"  server peak RSS growth during the rounds: {growth:.1f} MiB "
                  f"(one part of {args.part_mib} MiB + < 5 MiB per request)")  # fmt: skip
        finally:
            server.stop()
            weed.stop()


if __name__ == "__main__":
    main()
