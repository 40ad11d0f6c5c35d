"""Clips (ADR 0067) on vidhost's own API: ``POST /api/videos/{id}/clips`` makes a new video
from a ready one, frame-accurate at both ends, that is a video like any other (ready,
thumbnail, downloads, its own deletion) and outlives its source; bad ranges get codes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_audio, make_clip
from tests.e2e.download_checks import produced
from tests.e2e.frame_checks import SOURCE_FPS, assert_frame_accurate, fetch_stream, make_source
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_state
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB = auth("alice"), auth("bob")
DURATION = 14.0
FPS = SOURCE_FPS
FRAME = 1 / FPS


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("clips")
    server = ServerProcess(data, env={**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"}).start()
    source = make_source(data / "source.mp4", DURATION)
    try:
        video_id = upload(server.url, source, ALICE)
        status = wait_for_state(server.url, video_id, ALICE, {"ready", "failed"})
        assert status["state"] == "ready", status
        yield {"url": server.url, "id": video_id, "source": source}
    finally:
        server.stop()


def clip(site: dict[str, Any], body: dict[str, Any], who: dict[str, str] = ALICE, **kw: Any):
    video_id = kw.get("video_id", site["id"])
    return httpx.post(
        f"{site['url']}/api/videos/{video_id}/clips", json=body, headers=who, timeout=30
    )


def code(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["code"]


def test_bad_ranges_and_sources_are_refused_with_codes(site):
    assert code(clip(site, {"start": 5, "end": 5})) == (400, "invalid_clip_range")
    assert code(clip(site, {"start": 6, "end": 2})) == (400, "invalid_clip_range")
    assert code(clip(site, {"start": -1, "end": 2})) == (400, "invalid_clip_range")
    assert code(clip(site, {"start": 2, "end": DURATION + 1})) == (400, "bad_time")
    assert code(clip(site, {"start": DURATION + 1})) == (400, "bad_time")
    assert code(clip(site, {"start": 1, "end": 2}, BOB)) == (404, "video_not_found")
    assert code(clip(site, {"start": 1, "end": 2}, video_id="nope")) == (404, "video_not_found")
    assert clip(site, {"start": 1, "end": 2, "colour": "red"}).status_code == 400
    fresh = clip(site, {"start": 1, "end": 2})
    assert fresh.status_code == 201, fresh.text
    # the clip is not ready yet (its source is still being cut): not a source for a clip
    again = clip(site, {"start": 0, "end": 0.5}, video_id=fresh.json()["id"])
    assert code(again) == (400, "clip_source_not_ready")


@pytest.mark.parametrize("kind", ["audio-only", "silent"])
def test_audio_only_and_silent_sources_are_clipped_too(site, kind, tmp_path: Path):
    if kind == "audio-only":
        path, mime = make_audio(tmp_path / "tone.m4a", duration=6.0), "audio/mp4"
    else:
        path, mime = make_clip(tmp_path / "silent.mp4", duration=6.0, audio=False), "video/mp4"
    source = upload(site["url"], path, ALICE, content_type=mime)
    assert wait_for_state(site["url"], source, ALICE, {"ready", "failed"})["state"] == "ready"
    r = clip(site, {"start": 1.0, "end": 4.0}, video_id=source)
    assert r.status_code == 201, r.text
    done = wait_for_state(site["url"], r.json()["id"], ALICE, {"ready", "failed"}, details=True)
    assert done["state"] == "ready", done
    assert abs(done["duration"] - 3.0) <= FRAME, done
    if kind == "audio-only":
        assert done["videoCodec"] is None and done["audioCodec"] is not None
    else:
        assert done["videoCodec"] is not None and done["audioCodec"] is None


def test_a_clip_is_frame_accurate_a_video_like_any_other_and_outlives_its_source(
    site, tmp_path: Path
):
    start, end = 3.0, 9.43  # rounded to the frame grid: 9.4, source frames 30 .. 93
    first, last = 30, 94
    r = clip(site, {"start": start, "end": end, "title": "the middle"})
    assert r.status_code == 201, r.text
    created = r.json()
    clip_id = created["id"]
    assert clip_id != site["id"] and created["title"] == "the middle"
    assert created["clippedFrom"] == {"videoId": site["id"], "start": 3.0, "end": 9.4}
    status = wait_for_state(site["url"], clip_id, ALICE, {"ready", "failed"}, details=True)
    assert status["state"] == "ready", status
    assert abs(status["duration"] - (end - start)) <= FRAME, status
    assert status["clippedFrom"]["videoId"] == site["id"]

    stream = fetch_stream(status["playbackUrl"], tmp_path / "clip.mp4")
    assert_frame_accurate(stream, site["source"], first, last)

    # a video like any other: its own thumbnail and downloads
    thumb = httpx.get(status["thumbnailUrl"], timeout=60)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    dl = httpx.post(
        f"{site['url']}/api/videos/{clip_id}/downloads",
        json={"rendition": "highest"},
        headers=ALICE,
        timeout=30,
    )
    assert dl.status_code == 201, dl.text
    mp4 = _wait_download(site["url"], clip_id)
    path = tmp_path / "highest.mp4"
    path.write_bytes(httpx.get(mp4["url"], timeout=60).content)
    media = produced(path)
    assert media.video_seconds is not None and abs(media.video_seconds - (end - start)) <= FRAME
    assert media.audio_seconds is not None and abs(media.audio_seconds - (end - start)) <= FRAME

    # deleting the source leaves the clip whole and playable
    gone = httpx.delete(f"{site['url']}/api/videos/{site['id']}", headers=ALICE, timeout=30)
    assert gone.status_code == 200, gone.text
    after = wait_for_state(site["url"], clip_id, ALICE, {"ready"}, details=True)
    replay = fetch_stream(after["playbackUrl"], tmp_path / "again.mp4")
    assert_frame_accurate(replay, site["source"], first, last)
    # and the clip is deleted on its own
    assert httpx.delete(f"{site['url']}/api/videos/{clip_id}", headers=ALICE).status_code == 200
    assert httpx.get(f"{site['url']}/api/videos/{clip_id}", headers=ALICE).status_code == 404


def _wait_download(base: str, video_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/api/videos/{video_id}", headers=ALICE, timeout=10).json()
        ready = [d for d in body["downloads"] if d["status"] == "ready"]
        if ready:
            return dict(ready[0])
        assert all(d["status"] == "preparing" for d in body["downloads"]), body
        time.sleep(0.3)
    raise AssertionError(f"the download of {video_id} was never ready: {body}")
