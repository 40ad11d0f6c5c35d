"""Seed 001 ``GET /video/{videoId}/status/stream`` over a real server and the websockets client."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets

from tests.clips import make_clip
from tests.e2e.helpers import task, wait_for_ladder
from tests.realtime import other_process, read_until_closed, recv_json, upload, ws_url
from vidhost.core.lifecycle import VideoState

pytestmark = pytest.mark.e2e

ENV = {"VIDHOST_AUTH": "none", "VIDHOST_LADDER_HEIGHTS": "[240]"}
ORDER = ["UPLOADED", "PROCESSING", "READY"]


def test_unknown_id_is_404_before_the_upgrade(server_factory):
    server = server_factory(ENV)

    async def connect() -> None:
        async with websockets.connect(ws_url(server, "/video/no-such-video/status/stream")):
            pass

    with pytest.raises(websockets.InvalidStatus) as info:
        asyncio.run(connect())
    assert info.value.response.status_code == 404
    assert b"video_not_found" in info.value.response.body


def test_plain_http_request_is_400_and_bad_upgrade_is_400(server_factory, tmp_path):
    server = server_factory(ENV)
    video_id = upload(server, make_clip(tmp_path / "a.mp4", duration=1))
    path = f"/video/{video_id}/status/stream"
    plain = httpx.get(server.url + path)
    assert plain.status_code == 400
    assert plain.json()["code"] == "websocket_upgrade_required"
    broken = httpx.get(  # an upgrade without Sec-WebSocket-Key/Version
        server.url + path, headers={"Connection": "Upgrade", "Upgrade": "websocket"}
    )
    assert broken.status_code == 400
    assert httpx.get(server.url + "/video/nope/status/stream").status_code == 404


def test_states_in_order_then_close_1000_and_late_connect(server_factory, tmp_path):
    server = server_factory(ENV)
    clip = make_clip(tmp_path / "a.mp4", duration=1)

    async def scenario() -> None:
        video_id = upload(server, clip)
        async with websockets.connect(ws_url(server, f"/video/{video_id}/status/stream")) as ws:
            messages = await read_until_closed(ws)
            assert ws.close_code == 1000
        states = [m["state"] for m in messages]
        # Whatever state the video had reached at connect comes first, then each change.
        assert states == ORDER[ORDER.index(states[0]) :]
        assert all(m["videoId"] == video_id and m["timestamp"] for m in messages)
        # READY means it plays now; progress is the ladder's, whose end comes after READY
        # (the transcode task completes with the last part), so it is under 100 here.
        progress = [m["progress"] for m in messages]
        assert progress == sorted(progress), messages
        if len(messages) > 1:  # READY seen as it happened, not read at connect
            assert 0 <= progress[-1] < 100, messages
        # A client that connects after the video is ready gets READY and the close; once the
        # whole ladder is stored, with 100.
        ladder = wait_for_ladder(server.url, video_id, {})
        assert task(ladder, "transcode")["status"] == "completed" and ladder["progress"] == 100
        async with websockets.connect(ws_url(server, f"/video/{video_id}/status/stream")) as ws:
            late = await read_until_closed(ws, timeout=10)
            assert ws.close_code == 1000
        assert [(m["state"], m["progress"]) for m in late] == [("READY", 100.0)]

    asyncio.run(scenario())


def test_change_made_in_another_process_reaches_the_socket(server_factory):
    server = server_factory(ENV)
    other = other_process(server)
    try:
        video = other.videos.create_pending(owner="anonymous", filename="x.mp4")

        async def scenario() -> list[dict[str, object]]:
            async with websockets.connect(ws_url(server, f"/video/{video.id}/status/stream")) as ws:
                first = await recv_json(ws)
                assert first["state"] == "UPLOADED"  # created: seed 001 has no earlier state
                await asyncio.to_thread(other.videos.change_state, video, VideoState.UPLOADED)
                await asyncio.to_thread(other.videos.change_state, video, VideoState.PROCESSING)
                assert (await recv_json(ws))["state"] == "PROCESSING"
                await asyncio.to_thread(
                    other.videos.change_state,
                    video,
                    VideoState.FAILED,
                    error_code="corrupt_media",
                    error_message="broken",
                )
                rest = await read_until_closed(ws, timeout=10)
                assert ws.close_code == 1000
                return rest

        rest = asyncio.run(scenario())
        assert [m["state"] for m in rest] == ["FAILED"]
    finally:
        other.close()


def test_client_may_close_at_any_time(server_factory):
    server = server_factory(ENV)
    other = other_process(server)
    try:
        video = other.videos.create_pending(owner="anonymous")

        async def scenario() -> None:
            for _ in range(5):
                async with websockets.connect(
                    ws_url(server, f"/video/{video.id}/status/stream")
                ) as ws:
                    assert (await recv_json(ws))["state"] == "UPLOADED"
            # The server is still healthy and its subscriptions were released.
            other.videos.change_state(video, VideoState.UPLOADED)

        asyncio.run(scenario())
        assert httpx.get(server.url + "/healthz").status_code == 200
    finally:
        other.close()
