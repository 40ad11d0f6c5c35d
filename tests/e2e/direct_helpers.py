"""Shared helpers for the direct-upload end-to-end tests (a real server, real SeaweedFS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.helpers import wait_for_state
from tests.s3 import SeaweedS3
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

SECRET = "direct-upload-test-secret-0123456789abcdef"

BASE_ENV = {
    "VIDHOST_JWT_SECRET": SECRET,
    "VIDHOST_LADDER_HEIGHTS": "[240]",
    "VIDHOST_UPLOAD_WATCH_INTERVAL": "0.5",
}


def auth(user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, user)}"}


def start_server(root: Path, backend: str, seaweed: SeaweedS3 | None, **env: str) -> ServerProcess:
    full = dict(BASE_ENV)
    if backend == "s3":
        assert seaweed is not None
        full.update(seaweed.env(seed_names=True))
    full.update(env)
    return ServerProcess(root, full).start()


def wait_state(
    server: ServerProcess, video_id: str, states: set[str], user: str = "alice", timeout: float = 90
) -> dict[str, Any]:
    return wait_for_state(server.url, video_id, auth(user), states, timeout)


def stored_keys(
    server: ServerProcess, seaweed: SeaweedS3 | None, backend: str, video_id: str
) -> list[str]:
    """Object keys under the video's prefix, read from the backend itself (not via vidhost)."""
    prefix = f"videos/{video_id}/"
    if backend == "local":
        root = server.data_dir / "storage"
        return sorted(
            p.relative_to(root).as_posix() for p in (root / prefix).rglob("*") if p.is_file()
        )
    assert seaweed is not None
    client: Any = seaweed.client()
    bucket = server.env["S3_BUCKET_NAME"]
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))
