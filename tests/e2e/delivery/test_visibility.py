"""Private means private: every read surface asks the one access decision (ADR 0050).

One server for the module; alice owns a private, an unlisted and a public video.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.clips import make_clip
from tests.e2e.helpers import (
    AUTH_ENV,
    SECRET,
    auth,
    playlist_uris,
    set_visibility,
    upload_ready,
)
from tests.realtime import recv_json, ws_url
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

ALICE, BOB = auth("alice"), auth("bob")


def playback_token(base: str, video_id: str, audience: str = "v", who=ALICE) -> str:
    r = httpx.post(
        f"{base}/api/videos/{video_id}/playback-token", json={"audience": audience}, headers=who
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("visibility")
    server = ServerProcess(
        data, env={**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]", "VIDHOST_WORKER_CONCURRENCY": "2"}
    ).start()
    try:
        clip = make_clip(data / "clip.mp4", duration=2)
        ids = upload_ready(
            server.url,
            clip,
            {name: (ALICE, name) for name in ("private", "unlisted", "public")}
            | {"bob": (BOB, None)},
        )
        yield {"server": server, "url": server.url, "ids": ids}
    finally:
        server.stop()


def byte_urls(base: str, video_id: str) -> dict[str, str]:
    """Every media URL of a video, by the audience a playback token for it needs."""
    variant = httpx.get(f"{base}/stream/{video_id}/240p.m3u8", headers=ALICE)
    assert variant.status_code == 200, variant.text
    segment = playlist_uris(variant.text)[0]
    root, api = f"{base}/stream/{video_id}", f"{base}/api/videos/{video_id}"
    return {
        "manifest": f"{root}/manifest",
        "variant": f"{root}/240p.m3u8",
        "segment": f"{root}/{segment}",
        "poster": f"{root}/poster.jpg",
        "thumbnail": f"{api}/thumbnail.jpg?width=64",
        "storyboard.vtt": f"{api}/storyboard.vtt",
        "storyboard.jpg": f"{api}/storyboard.jpg",
        "preview": f"{api}/preview.gif?duration=1&width=64&fps=2",
    }


OWNER_SURFACES = [
    "/api/videos/{id}/analysis",
    "/api/videos/{id}/enhanced",
    "/api/videos/{id}",
    "/api/videos/{id}/status",
    "/internal/metadata-extraction-status/{id}",
    "/internal/video-enhancement-status/{id}",
]


def test_every_private_byte_is_refused_to_anonymous_and_other_users(site) -> None:
    base, vid = site["url"], site["ids"]["private"]
    for name, url in byte_urls(base, vid).items():
        for who in ({}, BOB):
            r = httpx.get(url, headers=who)
            assert r.status_code == 403, (name, who, r.text)
            assert r.json()["code"] == "playback_token_required", name
            assert str(Path.cwd()) not in r.text
        owner = httpx.get(url, headers=ALICE)
        assert owner.status_code == 200, (name, owner.text)
        assert owner.headers["cache-control"].startswith("private"), name
        assert "public" not in owner.headers["cache-control"], name
        assert "Authorization" in owner.headers["vary"], name
    for path in OWNER_SURFACES:
        url = base + path.format(id=vid)
        anonymous = httpx.get(url)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized"), path
        other = httpx.get(url, headers=BOB)
        assert (other.status_code, other.json()["code"]) == (403, "access_denied"), path
        mine = httpx.get(url, headers=ALICE)
        if path.endswith("enhanced") or path.startswith("/internal/video-enhancement"):
            assert (mine.status_code, mine.json()["code"]) == (404, "task_not_found"), path
        else:
            assert mine.status_code == 200, (path, mine.text)


def test_owner_surfaces_of_public_videos_stay_owner_only(site) -> None:
    base, vid = site["url"], site["ids"]["public"]
    for path in OWNER_SURFACES:
        url = base + path.format(id=vid)
        assert httpx.get(url).status_code == 401, path
        assert httpx.get(url, headers=BOB).status_code == 403, path


def test_a_playback_token_v_opens_owner_status_surfaces_only_for_its_video(site) -> None:
    base, ids = site["url"], site["ids"]
    token = playback_token(base, ids["private"])
    url = f"{base}/internal/metadata-extraction-status/{ids['private']}"
    assert httpx.get(url, params={"token": token}).status_code == 200
    r = httpx.get(url, params={"token": playback_token(base, ids["private"], "t")})
    assert (r.status_code, r.json()["code"]) == (403, "playback_token_wrong_audience")
    other = f"{base}/internal/metadata-extraction-status/{ids['unlisted']}"
    r = httpx.get(other, params={"token": token})
    assert (r.status_code, r.json()["code"]) == (403, "playback_token_wrong_video")
    analysis = httpx.get(f"{base}/api/videos/{ids['private']}/analysis", params={"token": token})
    assert analysis.status_code == 200 and analysis.headers["cache-control"].startswith("private")


def test_public_and_unlisted_media_are_open_to_anyone(site) -> None:
    base, ids = site["url"], site["ids"]
    for name in ("public", "unlisted"):
        for what, url in byte_urls(base, ids[name]).items():
            r = httpx.get(url)
            assert r.status_code == 200, (name, what, r.text)
            assert not r.headers["cache-control"].startswith("private"), (name, what)
        segment = httpx.get(byte_urls(base, ids[name])["segment"])
        assert segment.headers["cache-control"] == "public, max-age=31536000, immutable"
    # a public video is open even with another user's (valid) bearer token
    assert httpx.get(f"{base}/stream/{ids['bob']}/manifest", headers=ALICE).status_code == 200


def test_stream_ready_lists_public_videos_and_the_callers_own(site) -> None:
    base, ids = site["url"], site["ids"]
    anonymous = httpx.get(f"{base}/stream/ready")
    assert set(anonymous.json()) == {ids["public"], ids["bob"]}
    assert "Authorization" in anonymous.headers["vary"]
    assert anonymous.headers["cache-control"].startswith("private")
    assert set(httpx.get(f"{base}/stream/ready", headers=ALICE).json()) == {
        ids["private"],
        ids["unlisted"],
        ids["public"],
        ids["bob"],
    }
    assert set(httpx.get(f"{base}/stream/ready", headers=BOB).json()) == {ids["public"], ids["bob"]}
    bad = httpx.get(f"{base}/stream/ready", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["code"]) == (401, "invalid_token")


def test_a_visibility_change_applies_to_the_next_request(site) -> None:
    base, vid = site["url"], site["ids"]["unlisted"]
    manifest = f"{base}/stream/{vid}/manifest"
    try:
        assert httpx.get(manifest).status_code == 200
        set_visibility(base, vid, "private", ALICE)
        r = httpx.get(manifest)
        assert (r.status_code, r.json()["code"]) == (403, "playback_token_required")
        assert httpx.get(f"{base}/api/videos/{vid}/thumbnail.jpg?width=64").status_code == 403
        set_visibility(base, vid, "public", ALICE)
        assert httpx.get(manifest).status_code == 200
        assert vid in httpx.get(f"{base}/stream/ready").json()
    finally:
        set_visibility(base, vid, "unlisted", ALICE)
    assert vid not in httpx.get(f"{base}/stream/ready").json()


def _denied(url: str, **kwargs: Any) -> websockets.InvalidStatus:
    async def connect() -> None:
        async with websockets.connect(url, **kwargs):
            pass

    with pytest.raises(websockets.InvalidStatus) as info:
        asyncio.run(connect())
    return info.value


def test_the_status_socket_answers_only_the_owner(site) -> None:
    server, vid = site["server"], site["ids"]["private"]
    url = ws_url(server, f"/video/{vid}/status/stream")
    denied = _denied(url)
    assert denied.response.status_code == 401 and b'"code":"unauthorized"' in denied.response.body
    denied = _denied(url, additional_headers=BOB)
    assert denied.response.status_code == 403 and b"access_denied" in denied.response.body
    public = _denied(ws_url(server, f"/video/{site['ids']['public']}/status/stream"))
    assert public.response.status_code == 401  # an owner surface, whatever the visibility
    denied = _denied(url + "?token=" + playback_token(site["url"], vid, "g"))
    assert denied.response.status_code == 403 and b"wrong_audience" in denied.response.body
    plain = httpx.get(site["url"] + f"/video/{vid}/status/stream")
    assert plain.status_code == 401

    jwt = issue_token(SECRET, "alice")

    async def watch(**kwargs: Any) -> tuple[dict[str, Any], str | None]:
        async with websockets.connect(url, **kwargs) as ws:
            return await recv_json(ws), ws.subprotocol

    # A browser: the user JWT as a subprotocol next to "bearer"; the server answers "bearer".
    first, subprotocol = asyncio.run(watch(subprotocols=["bearer", jwt]))
    assert (first["videoId"], first["state"], subprotocol) == (vid, "READY", "bearer")
    first, _ = asyncio.run(watch(additional_headers=ALICE))
    assert first["state"] == "READY"
    tokenized = url + "?token=" + playback_token(site["url"], vid)
    first, subprotocol = asyncio.run(watch_url(tokenized))
    assert first["state"] == "READY" and subprotocol is None


async def watch_url(url: str) -> tuple[dict[str, Any], str | None]:
    async with websockets.connect(url) as ws:
        return await recv_json(ws), ws.subprotocol


def test_client_ids_are_scoped_per_owner(site, tmp_path: Path) -> None:
    server = site["server"]
    url = ws_url(server, "/ws/shared-client")
    denied = _denied(url)
    assert denied.response.status_code == 401 and b"unauthorized" in denied.response.body
    clip = make_clip(tmp_path / "c.mp4", duration=1)

    def post(headers: dict[str, str]) -> str:
        with clip.open("rb") as f:
            r = httpx.post(
                server.url + "/upload",
                files={"file": (clip.name, f, "video/mp4")},
                data={"client_id": "shared-client"},
                headers=headers,
                timeout=60,
            )
        assert r.status_code == 201, r.text
        return str(r.json()["videoId"])

    async def scenario() -> None:
        async with (
            websockets.connect(url, additional_headers=ALICE) as a,
            websockets.connect(url, subprotocols=["bearer", issue_token(SECRET, "bob")]) as b,
        ):
            assert b.subprotocol == "bearer"
            for ws in (a, b):
                assert (await recv_json(ws))["type"] == "connection"
            mine = await asyncio.to_thread(post, ALICE)
            theirs = await asyncio.to_thread(post, BOB)
            for ws, own, other in ((a, mine, theirs), (b, theirs, mine)):
                seen: set[str] = set()
                done = False
                while not done:
                    m = await recv_json(ws, 60)
                    seen.add(m["file_id"])
                    done = (
                        m["file_id"] == own
                        and m.get("process_type") == "transcode"
                        and m.get("status") == "completed"
                    )
                assert own in seen and other not in seen
        # A reconnect replays the owner's recent videos of that client id only.
        async with websockets.connect(url, additional_headers=BOB) as again:
            await recv_json(again)
            replayed = set()
            try:
                while True:
                    replayed.add((await recv_json(again, 1.0))["file_id"])
            except TimeoutError:
                pass
            assert replayed == {theirs}

    asyncio.run(scenario())


def test_posts_disclose_no_private_video(site) -> None:
    base, ids = site["url"], site["ids"]
    url = base + "/api/posts"

    def create(body: dict[str, str]) -> str:
        r = httpx.post(url, json=body, headers=ALICE)
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    open_posts = [create({"content": "x", "videoId": ids[n]}) for n in ("public", "unlisted")]
    hidden = [create({"content": "secret", "videoId": ids["private"]}), create({"content": "t"})]
    for post_id in open_posts:
        assert httpx.get(f"{url}/{post_id}", headers=BOB).status_code == 200
    for post_id in hidden:
        r = httpx.get(f"{url}/{post_id}", headers=BOB)
        assert (r.status_code, r.json()["code"]) == (404, "post_not_found")
        assert httpx.get(f"{url}/{post_id}", headers=ALICE).status_code == 200
    assert httpx.get(f"{url}/{hidden[0]}").status_code == 401
    mine = {p["id"] for p in httpx.get(url, headers=ALICE).json()["posts"]}
    assert mine >= {*open_posts, *hidden}
    assert not {p["id"] for p in httpx.get(url, headers=BOB).json()["posts"]} & mine
