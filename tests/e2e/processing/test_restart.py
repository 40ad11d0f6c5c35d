"""Crash recovery: a video being processed when the server dies is finished after restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, task, upload, wait_for_state
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

# A slow preset makes the transcode last long enough to be killed in the middle of it.
SLOW = {**AUTH_ENV, "VIDHOST_X264_PRESET": "slower", "VIDHOST_LADDER_HEIGHTS": "[480, 360]"}


def test_kill_during_processing_then_restart_finishes_the_video(tmp_path: Path) -> None:
    data = tmp_path / "data"
    clip = make_clip(tmp_path / "clip.mp4", duration=12, width=854, height=480)
    alice = auth("alice")
    first = ServerProcess(data, SLOW).start()
    try:
        video_id = upload(first.url, clip, alice)
        status = wait_for_state(first.url, video_id, alice, {"processing", "ready", "failed"})
        assert status["state"] in ("processing", "ready"), status
        # Wait until the ladder is part-way stored, so the kill lands in the middle of the
        # work (the video may be ready already: its start is stored first, ADR 0062).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = httpx.get(f"{first.url}/api/videos/{video_id}/status", headers=alice).json()
            if task(status, "transcode")["progress"] > 0:
                break
            time.sleep(0.1)
        transcode = task(status, "transcode")
        assert transcode["status"] == "processing" and 0 < transcode["progress"] < 100, status
    finally:
        first.kill()  # SIGKILL: server, worker and ffmpeg die without cleaning up

    second = ServerProcess(data, {**SLOW, "VIDHOST_X264_PRESET": "ultrafast"}).start()
    try:
        status = wait_for_state(second.url, video_id, alice, {"ready", "failed"}, timeout=120)
        assert status["state"] == "ready", (status, second.log())
        # Ready comes with the first chunk and the audio (ADR 0061); the rest follows.
        deadline = time.monotonic() + 120
        while task(status, "transcode")["status"] == "processing" and time.monotonic() < deadline:
            time.sleep(0.2)
            status = httpx.get(f"{second.url}/api/videos/{video_id}/status", headers=alice).json()
        transcode = task(status, "transcode")
        assert transcode["status"] == "completed"
        manifest = httpx.get(status["playbackUrl"])
        assert manifest.status_code == 200
        assert "480p.m3u8" in manifest.text
    finally:
        second.stop()
