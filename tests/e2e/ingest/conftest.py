"""Fixtures for the resumable-upload tests: real servers, real clients, JWT users."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

SECRET = "tus-test-secret-of-at-least-32-bytes-long"
JS_DIR = Path(__file__).resolve().parents[2] / "js"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"

BASE_ENV = {
    "VIDHOST_JWT_SECRET": SECRET,
    "VIDHOST_EMBEDDED_WORKER": "false",
    "VIDHOST_UPLOAD_LOCK_SECONDS": "3",
}


def token(user: str) -> str:
    return issue_token(SECRET, user)


def client(server: ServerProcess, user: str = "alice") -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {token(user)}", **TUS},
        timeout=60,
    )


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.cache
def _tiny_mkv() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = make_clip(Path(d) / "tiny.mkv", duration=0.5, width=64, height=64, audio=False)
        return path.read_bytes()


def video_bytes(size: int) -> bytes:
    """``size`` bytes that are a valid video (a ~10 KB Matroska clip, then random padding).

    A completed upload that is not a video is refused and its bytes deleted (ADR 0051), so
    tests that compare the stored source with what was sent upload this.
    """
    clip = _tiny_mkv()
    assert size >= len(clip), f"at least {len(clip)} bytes"
    return clip + os.urandom(size - len(clip))


def source_path(server: ServerProcess, video_id: str) -> Path:
    return server.data_dir / "storage" / "videos" / video_id / "source"


def create(c: httpx.Client, length: int | None, **headers: str) -> str:
    h = dict(headers)
    if length is None:
        h["Upload-Defer-Length"] = "1"
    else:
        h["Upload-Length"] = str(length)
    r = c.post("/api/v1/videos/tus", headers=h)
    assert r.status_code == 201, r.text
    return r.headers["location"]


def patch(c: httpx.Client, url: str, offset: int, data: bytes, **headers: str) -> httpx.Response:
    h = {"Upload-Offset": str(offset), "Content-Type": OCTETS, **headers}
    return c.patch(url, headers=h, content=data)


def start_server(data_dir: Path, **env: str) -> ServerProcess:
    return ServerProcess(data_dir, {**BASE_ENV, **env}).start()


@pytest.fixture(scope="module")
def tus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("tus"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny video (about 60 KB)."""
    return make_clip(
        tmp_path_factory.mktemp("clips") / "clip.mp4", duration=2, width=160, height=120
    )


@pytest.fixture(scope="session")
def tus_js() -> Path:
    """tests/js with tus-js-client installed (``npm ci``); a failure fails the tests."""
    if not (JS_DIR / "node_modules" / "tus-js-client").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "npm is required to run the tus-js-client tests"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)
    return JS_DIR


def run_node(js_dir: Path, script: str, env: dict[str, str], timeout: float = 120) -> Any:
    node = shutil.which("node")
    assert node is not None, "node is required to run the tus-js-client tests"
    proc = subprocess.run(
        [node, script],
        cwd=js_dir,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(lines[-1])
