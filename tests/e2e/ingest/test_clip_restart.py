"""A clip's cut is a worker task (``ingest``, ADR 0094), not a thread of the API process:
the server killed while it cuts, then started again, and the clip still becomes ready,
its cut run a second time by the restarted worker."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_state
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE = auth("alice")
ENV = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"}


def ingest_row(data: Path, video_id: str) -> tuple[str, int] | None:
    """The clip's ``ingest`` task row in the server's database: (status, attempts)."""
    with sqlite3.connect(data / "vidhost.db") as db:
        row = db.execute(
            "SELECT status, attempts FROM tasks WHERE video_id = ? AND kind = 'ingest'",
            (video_id,),
        ).fetchone()
    return (str(row[0]), int(row[1])) if row else None


def test_a_clip_cut_survives_a_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, env=ENV).start()
    try:
        # big enough that the cut (a near-lossless re-encode) takes seconds
        source = make_clip(tmp_path / "source.mp4", duration=20, width=640, height=360)
        video_id = upload(server.url, source, ALICE)
        ready = wait_for_state(server.url, video_id, ALICE, {"ready", "failed"}, timeout=300)
        assert ready["state"] == "ready", ready
        r = httpx.post(
            f"{server.url}/api/videos/{video_id}/clips",
            json={"start": 1.0, "end": 19.0},
            headers=ALICE,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        clip_id = r.json()["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and ingest_row(data, clip_id) != ("processing", 1):
            time.sleep(0.05)
        assert ingest_row(data, clip_id) == ("processing", 1)
        time.sleep(0.5)  # well inside the cut
        status = httpx.get(f"{server.url}/api/videos/{clip_id}", headers=ALICE).json()
        assert status["state"] == "created", status  # still being cut
    finally:
        server.kill()  # the server, its worker and the cutting ffmpeg, at once
    server = ServerProcess(data, env=ENV, port=server.port).start()
    try:
        done = wait_for_state(
            server.url, clip_id, ALICE, {"ready", "failed"}, details=True, timeout=300
        )
        assert done["state"] == "ready", done
        assert abs(done["duration"] - 18.0) <= 0.04, done
        row = ingest_row(data, clip_id)
        assert row is not None and row[0] == "completed" and row[1] >= 2, row  # cut again
    finally:
        server.stop()
