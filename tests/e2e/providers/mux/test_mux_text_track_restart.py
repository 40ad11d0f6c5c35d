"""A Mux text track's URL pull is an ``ingest`` worker task (ADR 0094, 0068), not a thread
of the API process: the server killed while the track's file is being pulled, then started
again, and the track still becomes ready, its pull run a second time by the restarted
worker (the same task row, claimed twice)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.mux_helpers import access_token, sdk, wait_asset
from tests.http_server import Answer, Listener, Request, static_files
from tests.server import ServerProcess
from vidhost.core.ingest import file_part

pytestmark = pytest.mark.e2e

ENV = {
    **AUTH_ENV,
    "VIDHOST_LADDER_HEIGHTS": "[240]",
    "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
}
ENGLISH = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello again\n"


def pull_row(data: Path, video_id: str, part: int) -> tuple[str, int] | None:
    """The track's ``ingest`` row in the server's database: (status, attempts)."""
    with sqlite3.connect(data / "vidhost.db") as db:
        row = db.execute(
            "SELECT status, attempts FROM tasks WHERE video_id = ? AND kind = 'ingest' "
            "AND part = ?",
            (video_id, part),
        ).fetchone()
    return (str(row[0]), int(row[1])) if row else None


def text_tracks(assets: mux_python.AssetsApi, asset_id: str) -> list[Any]:
    return [t for t in assets.get_asset(asset_id).data.tracks if t.type == "text"]


def test_a_text_track_pull_survives_a_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = tmp_path / "files"
    files.mkdir()
    make_clip(files / "clip.mp4", duration=3.0, width=320, height=240)
    release = threading.Event()

    def answer(request: Request) -> Answer:
        if len(origin.requests) == 1:  # the first pull hangs until the server is killed
            release.wait(60)
            return 500, {}, b""
        return 200, {"content-type": "text/vtt"}, ENGLISH

    origin = Listener(answer=answer)
    clips = static_files(files)
    server = ServerProcess(data, env=ENV).start()
    try:
        assets = mux_python.AssetsApi(sdk(server.url, access_token(server, "alice")))
        created = assets.create_asset(
            mux_python.CreateAssetRequest(
                input=[mux_python.InputSettings(url=f"{clips.base_url}/clip.mp4")],
                playback_policy=[mux_python.PlaybackPolicy.PUBLIC],
            )
        ).data
        asset = wait_asset(assets, created.id)
        assert asset.status == "ready", asset
        track = assets.create_asset_track(
            asset.id,
            mux_python.CreateTrackRequest(
                url=f"{origin.base_url}/en.vtt",
                type="text",
                text_type="subtitles",
                language_code="en",
            ),
        ).data
        assert track.status == "preparing"
        origin.wait(1, timeout=60)
        part = file_part(track.id)
        assert pull_row(data, asset.id, part) == ("processing", 1)
        assert [t.status for t in text_tracks(assets, asset.id)] == ["preparing"]
    finally:
        server.kill()  # the server and its worker, mid-pull
        release.set()
    server = ServerProcess(data, env=ENV, port=server.port).start()
    try:
        assets = mux_python.AssetsApi(sdk(server.url, access_token(server, "alice")))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            (now,) = text_tracks(assets, asset.id)
            if now.status != "preparing":
                break
            time.sleep(0.2)
        assert (now.id, now.status) == (track.id, "ready"), now
        row = pull_row(data, asset.id, part)
        assert row is not None and row[0] == "completed" and row[1] >= 2, row  # pulled again
        assert len(origin.requests) >= 2
        pid = asset.playback_ids[0].id
        vtt = httpx.get(f"{server.url}/{pid}/text/{track.id}.vtt")
        assert vtt.status_code == 200 and "Hello again" in vtt.text
    finally:
        server.stop()
        origin.close()
        clips.close()
