"""``/api/events``: every change to the owner's videos, new ones included; no one else's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, auth, upload, wait_for_state
from tests.realtime import drain, recv_json, ws_url
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

ALICE, BOB = auth("alice"), auth("bob")


async def _until_ready(ws: websockets.ClientConnection, video_id: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while not any(m.get("state") == "ready" and m["videoId"] == video_id for m in got):
        got.append(await recv_json(ws, 60))
    return got


def test_the_owner_sees_new_videos_and_their_progress_and_no_one_elses(server_factory, tmp_path):
    server = server_factory({**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"})
    clip = make_clip(tmp_path / "a.mp4", duration=1)
    url = ws_url(server, "/api/events")

    async def scenario() -> None:
        alice_jwt = issue_token(SECRET, "alice")
        async with (
            websockets.connect(url, subprotocols=["bearer", alice_jwt]) as alice,
            websockets.connect(url, additional_headers=BOB) as bob,
        ):
            assert alice.subprotocol == "bearer"
            for ws in (alice, bob):
                assert await recv_json(ws) == {"type": "connection", "status": "connected"}
            # a video created after the socket opened (the socket needs no id)
            vid = await asyncio.to_thread(upload, server.url, clip, ALICE)
            got = await _until_ready(alice, vid)
            got += await drain(alice)  # task ends may trail the state change
            assert {m["videoId"] for m in got} == {vid}
            states = [m["state"] for m in got if m["type"] == "state"]
            assert states[0] == "uploaded" and "processing" in states and "ready" in states
            transcode = [m for m in got if m["type"] == "progress" and m["kind"] == "transcode"]
            assert transcode and transcode[-1]["status"] == "completed"
            assert transcode[-1]["progress"] == 100
            assert all(m["timestamp"].endswith("Z") for m in got)
            assert await drain(bob) == []  # alice's video never reaches bob

            theirs = await asyncio.to_thread(upload, server.url, clip, BOB)
            assert {m["videoId"] for m in await _until_ready(bob, theirs)} == {theirs}
            assert [m for m in await drain(alice) if m["videoId"] == theirs] == []

            # a delete (from anywhere) arrives too
            r = await asyncio.to_thread(
                httpx.delete, f"{server.url}/api/videos/{vid}", headers=ALICE
            )
            assert r.status_code in (200, 204), r.text
            deleted = await recv_json(alice, 10)
            assert (deleted["videoId"], deleted["state"]) == (vid, "deleted")
            assert {m["videoId"] for m in await drain(bob)} <= {theirs}

    asyncio.run(scenario())


def test_the_events_socket_needs_credentials(server_factory):
    server = server_factory(AUTH_ENV)
    url = ws_url(server, "/api/events")

    async def connect(**kwargs: Any) -> None:
        async with websockets.connect(url, **kwargs):
            pass

    for kwargs in ({}, {"subprotocols": ["bearer", "not-a-jwt"]}):
        with pytest.raises(websockets.InvalidStatus) as info:
            asyncio.run(connect(**kwargs))
        assert info.value.response.status_code == 401
        assert b'"code":' in info.value.response.body
    assert httpx.get(server.url + "/api/events").status_code == 401
    plain = httpx.get(server.url + "/api/events", headers=ALICE)
    assert plain.status_code == 400 and plain.json()["code"] == "websocket_upgrade_required"


def test_a_download_sends_its_end_to_the_owner_only(server_factory, tmp_path):
    server = server_factory({**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"})
    vid = upload(server.url, make_clip(tmp_path / "d.mp4", duration=2), ALICE)
    assert wait_for_state(server.url, vid, ALICE, {"ready", "failed"})["state"] == "ready"
    url = ws_url(server, "/api/events")

    async def scenario() -> None:
        async with (
            websockets.connect(url, additional_headers=ALICE) as alice,
            websockets.connect(url, additional_headers=BOB) as bob,
        ):
            for ws in (alice, bob):
                assert (await recv_json(ws))["type"] == "connection"
            await drain(alice)  # the ladder's last task steps, if any
            r = await asyncio.to_thread(
                httpx.post,
                f"{server.url}/api/videos/{vid}/downloads",
                json={"rendition": "audio"},
                headers=ALICE,
            )
            assert r.status_code == 201 and r.json()["status"] == "preparing", r.text
            got: list[dict[str, Any]] = []
            while not any(m["type"] == "download" for m in got):
                got.append(await recv_json(alice, 60))
            (message,) = [m for m in got if m["type"] == "download"]
            assert {k: message[k] for k in ("videoId", "name", "status")} == {
                "videoId": vid,
                "name": "audio.m4a",
                "status": "ready",
            }
            assert message["timestamp"].endswith("Z")
            assert await drain(bob) == []

    asyncio.run(scenario())
