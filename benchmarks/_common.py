"""Shared helpers for benchmark scripts (run from the repository root)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.server import ServerProcess  # noqa: E402
from vidhost.media.binaries import ffmpeg_path  # noqa: E402

__all__ = ["ROOT", "ServerProcess", "ffmpeg", "make_source", "wait_ready"]


def ffmpeg() -> str:
    return ffmpeg_path(None)


def make_source(path: Path, *, seconds: int, size: str, fps: int = 30, codec: str = "h264") -> Path:
    """A synthetic clip (moving test pattern + tone) of the given length and size."""
    if path.exists():
        return path
    video = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    if codec == "rawvideo":
        video = ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"]
    subprocess.run(
        [
            ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}",
            *video, "-c:a", "aac", "-b:a", "128k", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def wait_ready(base: str, video_id: str, timeout: float = 1800) -> dict:
    """Wait on seed 001's status WebSocket (no polling load on the machine being measured)."""
    ws_url = base.replace("http://", "ws://") + f"/video/{video_id}/status/stream"
    with connect(ws_url, open_timeout=30) as ws:
        while True:
            message = json.loads(ws.recv(timeout=timeout))
            if message["state"] in ("READY", "FAILED"):
                break
    return dict(httpx.get(f"{base}/api/videos/{video_id}/status").json())
