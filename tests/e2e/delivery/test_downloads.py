"""vidhost's downloads (ADR 0065): MP4s and the M4A remuxed from the stored ladder, asked for
with ``POST /api/videos/{id}/downloads``, listed by ``GET /api/videos/{id}``, served at
``/stream/{id}/downloads/{name}`` with Range, ``Content-Disposition`` and the stream's
visibility and playback tokens; deleted with the video."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.download_checks import produced
from tests.e2e.helpers import AUTH_ENV, auth, set_visibility, upload, wait_for_state
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB = auth("alice"), auth("bob")
DURATION = 20.0
FPS = 25
FRAME = 1 / FPS


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("downloads")
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240, 144]"}
    server = ServerProcess(data, env=env).start()
    clip = make_clip(data / "clip.mp4", duration=DURATION, width=320, height=240, fps=FPS)
    silent = make_clip(data / "silent.mp4", duration=4.0, width=320, height=240, audio=False)
    try:
        video_id = upload(server.url, clip, ALICE)
        status = wait_for_state(server.url, video_id, ALICE, {"ready", "failed"})
        assert status["state"] == "ready", status
        yield {"server": server, "url": server.url, "id": video_id, "silent": silent, "data": data}
    finally:
        server.stop()


def ask(site: dict[str, Any], rendition: str, who: dict[str, str] = ALICE) -> httpx.Response:
    return httpx.post(
        f"{site['url']}/api/videos/{site['id']}/downloads",
        json={"rendition": rendition},
        headers=who,
        timeout=30,
    )


def wait_downloads(site: dict[str, Any], video_id: str, count: int, timeout: float = 120) -> list:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = httpx.get(f"{site['url']}/api/videos/{video_id}", headers=ALICE, timeout=10)
        body = r.json()
        downloads = body["downloads"]
        if len(downloads) == count and all(d["status"] != "preparing" for d in downloads):
            return list(downloads)
        time.sleep(0.3)
    raise AssertionError(f"downloads of {video_id} still preparing: {body.get('downloads')}")


def fetch(url: str, dest: Path, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.stream("GET", url, headers=headers, timeout=60) as r, dest.open("wb") as out:
        for block in r.iter_bytes():
            out.write(block)
    return r


def test_mp4s_and_the_m4a_are_remuxed_from_the_ladder_and_decode_to_the_video(site, tmp_path):
    created = [ask(site, r) for r in ("highest", "144p", "audio")]
    assert [c.status_code for c in created] == [201, 201, 201], [c.text for c in created]
    assert [c.json()["name"] for c in created] == ["highest.mp4", "144p.mp4", "audio.m4a"]
    assert ask(site, "highest").json()["name"] == "highest.mp4"  # idempotent per name
    downloads = {d["name"]: d for d in wait_downloads(site, site["id"], 3)}
    assert {d["status"] for d in downloads.values()} == {"ready"}, downloads
    expect = {"highest.mp4": (240, True), "144p.mp4": (144, True), "audio.m4a": (0, False)}
    for name, (height, has_video) in expect.items():
        item = downloads[name]
        path = tmp_path / name
        r = fetch(item["url"], path)
        assert r.status_code == 200
        assert r.headers["content-type"] == ("video/mp4" if has_video else "audio/mp4")
        assert r.headers["content-disposition"].startswith(f'attachment; filename="clip-{name}"')
        assert path.stat().st_size == item["bytes"] == int(r.headers["content-length"])
        media = produced(path)
        assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
        if has_video:
            assert media.video_seconds is not None
            assert abs(media.video_seconds - DURATION) <= FRAME, media
            assert media.height == height
            # progressive, +faststart: the index before the samples
            assert media.top_boxes.index("moov") < media.top_boxes.index("mdat"), media
        else:
            assert media.video_seconds is None


def test_range_requests_give_206_with_the_bytes_asked_for(site, tmp_path):
    ask(site, "highest")
    (item,) = [d for d in wait_downloads(site, site["id"], 3) if d["name"] == "highest.mp4"]
    whole = httpx.get(item["url"], timeout=60).content
    r = httpx.get(item["url"], headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.content == whole[1000:2000]
    assert r.headers["content-range"] == f"bytes 1000-1999/{len(whole)}"
    tail = httpx.get(item["url"], headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == whole[-100:]
    beyond = httpx.get(item["url"], headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    head = httpx.head(item["url"])
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(whole)


def test_bad_requests_are_refused_with_codes(site):
    def code(r: httpx.Response) -> tuple[int, str]:
        return r.status_code, r.json()["code"]

    assert code(ask(site, "4k")) == (400, "unknown_rendition")
    assert code(ask(site, "1080p")) == (400, "rendition_unavailable")
    assert code(ask(site, "highest", BOB)) == (403, "access_denied")
    assert (
        httpx.post(f"{site['url']}/api/videos/{site['id']}/downloads", json={}).status_code == 401
    )
    missing = httpx.get(f"{site['url']}/stream/{site['id']}/downloads/720p.mp4")
    assert code(missing) == (404, "download_not_found")
    silent = upload(site["url"], site["silent"], ALICE)
    assert wait_for_state(site["url"], silent, ALICE, {"ready", "failed"})["state"] == "ready"
    r = httpx.post(
        f"{site['url']}/api/videos/{silent}/downloads", json={"rendition": "audio"}, headers=ALICE
    )
    assert code(r) == (400, "rendition_unavailable")


def test_a_private_videos_download_needs_a_token_and_goes_with_the_video(site, tmp_path):
    base = site["url"]
    video_id = upload(base, make_clip(tmp_path / "p.mp4", duration=3.0), ALICE)
    assert wait_for_state(base, video_id, ALICE, {"ready", "failed"})["state"] == "ready"
    set_visibility(base, video_id, "private", ALICE)
    r = httpx.post(f"{base}/api/videos/{video_id}/downloads", json={}, headers=ALICE)
    assert r.status_code == 201, r.text
    (item,) = wait_downloads(site, video_id, 1)
    assert item["status"] == "ready"
    refused = httpx.get(item["url"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "playback_token_required"
    token = httpx.post(f"{base}/api/videos/{video_id}/playback-token", headers=ALICE).json()
    r = httpx.get(f"{item['url']}?token={token['token']}")
    assert r.status_code == 200 and r.headers["cache-control"].startswith("private")
    assert httpx.get(item["url"], headers=ALICE).status_code == 200  # the owner's bearer
    stored = list((site["data"] / "storage" / "videos" / video_id / "static").iterdir())
    assert [p.name for p in stored] == ["240p.mp4"]
    assert httpx.delete(f"{base}/api/videos/{video_id}", headers=ALICE).status_code == 200
    assert not (site["data"] / "storage" / "videos" / video_id).exists()
    gone = httpx.get(f"{item['url']}?token={token['token']}")
    assert gone.status_code == 404
