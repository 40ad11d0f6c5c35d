"""Seed 004 ``/ws/{client_id}`` over a real server and the websockets client."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.clips import make_clip
from tests.realtime import drain, other_process, recv_json, upload, ws_url
from vidhost.core.lifecycle import TaskKind, TaskStatus

pytestmark = pytest.mark.e2e

ENV = {"VIDHOST_AUTH": "none", "VIDHOST_LADDER_HEIGHTS": "[240]"}


PLANNED = {"transcode", "metadata_extraction"}


def _until_completed(messages: list[dict[str, object]]) -> bool:
    """Every planned task has reported its end."""
    done = {m["process_type"] for m in messages if m.get("status") in ("completed", "failed")}
    return done >= PLANNED


def test_upload_status_and_task_updates_reach_every_socket_of_the_client(server_factory, tmp_path):
    server = server_factory(ENV)
    clip = make_clip(tmp_path / "a.mp4", duration=1)

    async def scenario() -> None:
        url = ws_url(server, "/ws/client-a")
        async with (
            websockets.connect(url) as a1,
            websockets.connect(url) as a2,
            websockets.connect(ws_url(server, "/ws/client-b")) as b,
        ):
            for ws, cid in ((a1, "client-a"), (a2, "client-a"), (b, "client-b")):
                assert await recv_json(ws) == {
                    "type": "connection",
                    "status": "connected",
                    "client_id": cid,
                }
            file_id = upload(server, clip, client_id="client-a")
            for ws in (a1, a2):
                got = []
                while not _until_completed(got):
                    got.append(await recv_json(ws, 60))
                assert got[0]["type"] == "upload_status"
                assert got[0]["file_id"] == file_id and got[0]["status"] == "uploaded"
                updates = [m for m in got[1:] if m["type"] == "status_update"]
                assert {m["process_type"] for m in updates} == PLANNED
                for kind in PLANNED:  # each task reports its own lifecycle, in order
                    mine = [m for m in updates if m["process_type"] == kind]
                    statuses = [m["status"] for m in mine]
                    assert statuses[0] == "pending" and statuses[-1] == "completed", kind
                    assert "processing" in statuses, kind
                    progress = [m["progress"] for m in mine]
                    assert progress == sorted(progress) and progress[-1] == 100, kind
                assert all(m["file_id"] == file_id and m["timestamp"] for m in updates)
                assert all(m["error"] is None for m in updates)
            assert await drain(b, 0.5) == []  # another client hears nothing

        # A client that reconnects gets the current status of its recent uploads.
        async with websockets.connect(url) as again:
            replay = await drain(again, 1.0)
        assert replay[0]["type"] == "connection"
        assert replay[1]["type"] == "upload_status"
        assert replay[-1]["status"] == "completed" and replay[-1]["progress"] == 100

    asyncio.run(scenario())


def test_any_process_type_from_another_process_is_carried(server_factory):
    server = server_factory(ENV)
    other = other_process(server)
    try:
        video = other.videos.create_pending(owner="anonymous", client_id="c9")

        async def scenario() -> list[dict[str, object]]:
            async with websockets.connect(ws_url(server, "/ws/c9")) as ws:
                assert (await recv_json(ws))["type"] == "connection"
                for kind in (TaskKind.METADATA_EXTRACTION, TaskKind.VIDEO_ENHANCEMENT):
                    await asyncio.to_thread(other.repo.ensure_task, video.id, kind)
                await asyncio.to_thread(
                    other.videos.report_task,
                    video.id,
                    TaskKind.METADATA_EXTRACTION,
                    TaskStatus.PROCESSING,
                    40.0,
                )
                await asyncio.to_thread(
                    other.videos.report_task,
                    video.id,
                    TaskKind.VIDEO_ENHANCEMENT,
                    TaskStatus.FAILED,
                    0.0,
                    error_code="enhance_failed",
                    error="filter crashed",
                )
                return await drain(ws, 1.0)

        got = asyncio.run(scenario())
        summary = [(m["process_type"], m["status"], m["progress"], m["error"]) for m in got]
        assert summary == [
            ("metadata_extraction", "pending", 0, None),
            ("video_enhancement", "pending", 0, None),
            ("metadata_extraction", "processing", 40, None),
            ("video_enhancement", "failed", 0, "filter crashed"),
        ]
    finally:
        other.close()
