"""Seed 002's own webhook handler, in Node as written (``tests/js/seed_webhook_handler.js``):
its ``verifyWebhookSignature`` accepts vidhost's deliveries, and ``handleVideoReady`` /
``handleVideoError`` get the fields they read."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.ingest.conftest import JS_DIR
from tests.realtime import other_process, upload
from tests.server import ServerProcess, free_port
from vidhost.core.lifecycle import VideoState

pytestmark = pytest.mark.e2e

SECRET = "seed-002-handler-secret"


class SeedHandler:
    """The seed's handler as a Node process; its JSON lines arrive in ``lines``."""

    def __init__(self) -> None:
        node = shutil.which("node")
        assert node is not None, "node is required for the seed 002 handler test"
        self.port = free_port()
        self.proc = subprocess.Popen(
            [node, "seed_webhook_handler.js"],
            cwd=JS_DIR,
            env={**os.environ, "PORT": str(self.port), "WEBHOOK_SECRET": SECRET},
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next(lambda m: "listening" in m)["listening"] == self.port
        self.url = f"http://127.0.0.1:{self.port}/api/webhooks/video-processing"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def next(self, match: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if match(message):
                return message
        raise AssertionError("the seed's handler never printed the expected line")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def handler() -> Iterator[SeedHandler]:
    h = SeedHandler()
    yield h
    h.stop()


def test_seed_handler_verifies_and_handles_ready_and_errored(
    handler: SeedHandler, tmp_path: Path
) -> None:
    # A forged delivery is refused by the seed's own check (it is not a test that always passes).
    forged = httpx.post(
        handler.url,
        content=b'{"type": "video.asset.ready", "data": {"id": "x"}}',
        headers={"x-webhook-signature": "sha256=" + "0" * 64},
    )
    assert forged.status_code == 401
    env = {
        "VIDHOST_AUTH": "none",
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        "VIDHOST_WEBHOOK_URL": handler.url,
        "WEBHOOK_SECRET": SECRET,  # seed 002's variable name
    }
    server = ServerProcess(tmp_path / "data", env).start()
    try:
        video_id = upload(server, make_clip(tmp_path / "a.mp4", duration=1))
        ready = handler.next(lambda m: m.get("update") == video_id)["data"]
        assert ready["status"] == "ready"
        assert httpx.get(ready["playbackUrl"]).status_code == 200
        assert httpx.get(ready["thumbnailUrl"]).status_code == 200
        assert ready["duration"] == pytest.approx(1.0, abs=0.2)
        assert ready["metadata"]["width"] == 320 and ready["metadata"]["codec"] == "h264"
        assert ready["metadata"]["bitrate"] > 0
        assert handler.next(lambda m: m.get("notify") == video_id)["status"] == "ready"

        other = other_process(server)
        try:
            broken = other.videos.create_pending(owner="anonymous")
            other.videos.change_state(
                broken, VideoState.FAILED, error_code="corrupt_media", error_message="bad input"
            )
        finally:
            other.close()
        errored = handler.next(lambda m: m.get("update") == broken.id)["data"]
        assert errored["status"] == "error" and errored["error"] == "bad input"
    finally:
        server.stop()
