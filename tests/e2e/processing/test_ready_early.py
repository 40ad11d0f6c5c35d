"""Ready before the whole ladder is stored (ADR 0061), end to end on ``vidhost serve`` with its
embedded worker: a media failure found after ``ready`` fails the video, and a DELETE while
chunks are encoding stops them and leaves nothing in storage."""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import task, wait_for_state
from tests.integration.helpers import container
from tests.server import ServerProcess
from tests.webhook_receiver import Receiver
from vidhost.core import layout
from vidhost.core.lifecycle import TaskStatus
from vidhost.processing.transcode import PARTS

pytestmark = pytest.mark.e2e

SECRET = "seed-002-shared-secret"
NOBODY: dict[str, str] = {}
CHUNKED = {
    "VIDHOST_AUTH": "none",
    "VIDHOST_LADDER_HEIGHTS": "[180, 120]",
    "VIDHOST_SEGMENT_SECONDS": "2",
    "VIDHOST_CHUNK_SECONDS": "4",
    "VIDHOST_WORKER_CONCURRENCY": "1",
}


def corrupt_second_half(path: Path) -> Path:
    """Overwrite the payload of the MPEG-TS packets between 75% and 80% of the file with noise
    (the headers stay, so the probe at upload still accepts it)."""
    data = bytearray(path.read_bytes())
    noise = random.Random(1)
    for packet in range(int(len(data) * 0.75) // 188 * 188, int(len(data) * 0.80), 188):
        for i in range(packet + 4, min(packet + 188, len(data)), 3):
            data[i] = noise.randrange(256)
    path.write_bytes(bytes(data))
    return path


def upload(base: str, clip: Path, content_type: str) -> str:
    with clip.open("rb") as fh:
        r = httpx.post(base + "/upload", files={"file": (clip.name, fh, content_type)}, timeout=60)
    assert r.status_code == 201, r.text
    return str(r.json()["videoId"])


def test_a_source_corrupt_in_its_second_half_fails_after_having_been_ready(
    tmp_path: Path,
) -> None:
    # No audio: the first chunk alone makes it ready (an audio track would be decoded whole,
    # corrupt part included, before ready).
    clip = make_clip(tmp_path / "half.ts", duration=12, width=320, height=180, audio=False)
    corrupt_second_half(clip)
    with Receiver(SECRET, fail_first=False) as receiver:
        env = {**CHUNKED, "VIDHOST_WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET}
        server = ServerProcess(tmp_path / "data", env=env).start()
        try:
            video_id = upload(server.url, clip, "video/mp2t")
            ready = receiver.wait_for("video.asset.ready")[0].event["data"]
            assert ready["id"] == video_id
            errored = receiver.wait_for("video.asset.errored", timeout=90)[0].event["data"]
            assert errored["id"] == video_id and errored["status"] == "error"
            types = [r.event["type"] for r in receiver.requests]
            assert types.index("video.asset.ready") < types.index("video.asset.errored")
            status = wait_for_state(server.url, video_id, NOBODY, {"failed"})
            assert status["error"]["code"] == "corrupt_media", status
            assert task(status, "transcode")["status"] == "failed"
            r = httpx.get(f"{server.url}/stream/{video_id}/manifest")
            assert (r.status_code, r.json()["code"]) == (409, "not_ready")
            assert video_id not in httpx.get(f"{server.url}/stream/ready").json()
            seg = httpx.get(f"{server.url}/stream/{video_id}/segment/180p_00000.m4s")
            assert seg.status_code == 409
        finally:
            server.stop()


def ffmpeg_of(video_id: str) -> list[psutil.Process]:
    """Running processes whose command line names the video (its chunk dirs, its source)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if video_id in cmdline and "ffmpeg" in cmdline:
            found.append(proc)
    return found


def test_delete_while_encoding_stops_its_chunks_and_leaves_nothing(tmp_path: Path) -> None:
    # veryslow: the ladder takes a while after the first chunk, so DELETE meets it at work.
    clip = make_clip(tmp_path / "long.mp4", duration=24, width=320, height=180)
    env = {**CHUNKED, "VIDHOST_X264_PRESET": "veryslow", "VIDHOST_WORKER_CONCURRENCY": "2"}
    data = tmp_path / "data"
    server = ServerProcess(data, env=env).start()
    try:
        video_id = upload(server.url, clip, "video/mp4")
        status = wait_for_state(server.url, video_id, NOBODY, {"ready", "failed"}, timeout=120)
        assert status["state"] == "ready", status
        assert task(status, "transcode")["status"] == "processing"  # chunks at work
        deadline = time.monotonic() + 30
        while not ffmpeg_of(video_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ffmpeg_of(video_id), "no chunk was encoding"
        r = httpx.delete(f"{server.url}/api/videos/{video_id}", timeout=30)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 10  # promptly: at the chunk's next progress report
        while ffmpeg_of(video_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not ffmpeg_of(video_id), "a chunk's ffmpeg still runs after DELETE"
        time.sleep(2)  # a chunk that was storing as the delete ran has cleaned up by now
        with container(data) as c:
            assert list(c.storage.list(layout.video_prefix(video_id))) == []
            parts = c.repo.list_parts(video_id, PARTS)
            assert {t.status for t in parts} <= {TaskStatus.COMPLETED, TaskStatus.FAILED}
            assert "video_deleted" in {t.error_code for t in parts}
        assert httpx.get(f"{server.url}/stream/{video_id}/manifest").status_code in (404, 410)
    finally:
        server.stop()
