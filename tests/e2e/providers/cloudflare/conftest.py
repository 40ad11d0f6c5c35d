"""One vidhost server for the Cloudflare Stream tests, and the official SDK pointed at it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudflare import Cloudflare

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, decoded_duration
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token
from vidhost.media.binaries import ffmpeg_path


def token(user: str) -> str:
    return issue_token(SECRET, user)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("cloudflare")
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]", "VIDHOST_WEBHOOK_ALLOW_PRIVATE": "true"}
    proc = ServerProcess(data, env=env).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="package")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 2 s clip (25 fps, with audio)."""
    return make_clip(
        tmp_path_factory.mktemp("cfclip") / "clip.mp4", duration=2, width=160, height=120
    )


def sdk(server: ServerProcess, user: str = "alice", api_token: str | None = None) -> Cloudflare:
    """The official ``cloudflare`` client, unmodified but for its base URL."""
    return Cloudflare(
        api_token=api_token or token(user),
        base_url=f"{server.url}/client/v4",
        max_retries=0,
    )


def form_upload(url: str, path: Path) -> httpx.Response:
    """What a browser does with ``uploadURL``: one multipart/form-data POST, field ``file``."""
    with open(path, "rb") as fh:
        return httpx.post(url, files={"file": (path.name, fh, "video/mp4")}, timeout=60)


def wait_ready(cf: Cloudflare, account: str, uid: str, timeout: float = 120) -> Any:
    """``stream.get`` until ``readyToStream`` (or an error state)."""
    deadline = time.monotonic() + timeout
    video = None
    while time.monotonic() < deadline:
        video = cf.stream.get(identifier=uid, account_id=account)
        assert video is not None
        if video.ready_to_stream or (video.status and video.status.state == "error"):
            return video
        time.sleep(0.3)
    raise AssertionError(f"{uid} never became ready: {video}")


def wait_pct(cf: Cloudflare, account: str, uid: str, pct: str, timeout: float = 120) -> Any:
    """``stream.get`` until ``status.pctComplete`` reads ``pct``."""
    deadline = time.monotonic() + timeout
    video = None
    while time.monotonic() < deadline:
        video = cf.stream.get(identifier=uid, account_id=account)
        if video is not None and video.status is not None and video.status.pct_complete == pct:
            return video
        time.sleep(0.2)
    raise AssertionError(f"{uid} never read {pct}: {video}")


def play_hls(url: str, dest: Path) -> tuple[float, int, int]:
    """Play an HLS URL with ffmpeg's HLS client (playlists, variants, segments over HTTP),
    keep the video stream, and decode it: (seconds, width, height)."""
    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-y", "-i", url, "-map", "0:v:0", "-c", "copy", str(dest)],
        check=True,
        timeout=60,
        capture_output=True,
    )
    return decoded_duration(dest)
