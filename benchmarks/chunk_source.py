"""How a chunk task should read its source from S3: a pre-signed GET URL as ffmpeg input
(ffmpeg reads the byte ranges it needs) vs downloading the whole object first.

    python benchmarks/chunk_source.py [--seconds 60] [--size 1280x720] [--rounds 3]

Needs the SeaweedFS binary the S3 tests use. Each round, interleaved: one chunk (4 s from the
middle, 240p, ``-f null``) encoded (a) from a pre-signed URL, (b) after a full download;
plus (c) the download alone. Prints every round and the medians (ADR 0060).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.s3 import SeaweedS3
from vidhost.media.binaries import ffmpeg_path


def encode(source: str, start: float, extra: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", *extra,
         "-ss", str(start), "-i", source, "-t", "4", "-vf", "scale=-2:240", "-an",
         "-c:v", "libx264", "-preset", "veryfast", "-f", "null", "-"],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = root / "source.mp4"
        subprocess.run(
            [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"testsrc2=s={args.size}:r=30:d={args.seconds}", "-c:v", "libx264",
             "-preset", "ultrafast", "-b:v", "8M", "-g", "60", str(source)],
            check=True,
        )  # fmt: skip
        weed = SeaweedS3(root / "weed").start()
        try:
            client = weed.client()
            client.create_bucket(Bucket="bench")  # type: ignore[attr-defined]
            client.upload_file(str(source), "bench", "source")  # type: ignore[attr-defined]
            url = client.generate_presigned_url(  # type: ignore[attr-defined]
                "get_object", Params={"Bucket": "bench", "Key": "source"}, ExpiresIn=3600
            )
            start = args.seconds / 2
            rows: dict[str, list[float]] = {"url": [], "download+encode": [], "download": []}
            for n in range(args.rounds):
                rows["url"].append(encode(url, start, ["-protocol_whitelist", "http,tcp"]))
                began = time.perf_counter()
                local = root / "copy.mp4"
                client.download_file("bench", "source", str(local))  # type: ignore[attr-defined]
                fetched = time.perf_counter() - began
                rows["download"].append(fetched)
                rows["download+encode"].append(fetched + encode(str(local), start, []))
                local.unlink()
                line = ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rows.items())
                print(f"round {n + 1}: {line}")
            size = source.stat().st_size / 1e6
            medians = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in rows.items())
            print(f"source {size:.1f} MB; medians: {medians}")
        finally:
            weed.stop()


if __name__ == "__main__":
    main()
