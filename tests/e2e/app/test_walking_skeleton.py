"""Upload -> ready -> play, over a real ``vidhost serve`` process (seed 001 + seed 000)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import (
    AUTH_ENV,
    auth,
    decoded_duration,
    fetch_rendition,
    playlist_uris,
    task,
    tmp_files,
    upload,
    wait_for_ladder,
    wait_for_state,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(server_factory):
    return server_factory(env=AUTH_ENV)


def test_upload_transcode_and_play_every_rendition(api, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=3, width=640, height=360)
    alice = auth("alice")
    video_id = upload(api.url, clip, alice)

    status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
    assert status["state"] == "ready", status
    assert status["status"] == "ready"
    # ready = plays now; progress is the ladder's, 100 only with the transcode task completed
    completed = task(status, "transcode")["status"] == "completed"
    assert (status["progress"] == 100) is completed, status
    assert wait_for_ladder(api.url, video_id, alice)["progress"] == 100
    assert status["resolution"] == {"width": 640, "height": 360}
    assert abs(status["duration"] - 3) < 0.2
    assert [r["name"] for r in status["renditions"]] == ["360p", "240p"]
    assert status["playbackUrl"] == f"{api.url}/stream/{video_id}/manifest"

    ready = httpx.get(api.url + "/stream/ready").json()
    assert video_id in ready

    manifest_url = status["playbackUrl"]
    master = httpx.get(manifest_url)
    assert master.status_code == 200
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    stream_infs = [
        line for line in master.text.splitlines() if line.startswith("#EXT-X-STREAM-INF")
    ]
    assert len(stream_infs) == 2
    for line in stream_infs:
        assert re.search(r"BANDWIDTH=\d+", line)
        assert re.search(r"RESOLUTION=\d+x\d+", line)
        assert 'CODECS="avc1.' in line and "mp4a.40.2" in line

    variants = playlist_uris(master.text)
    expected_sizes = {"360p.m3u8": (640, 360), "240p.m3u8": (426, 240)}
    assert sorted(variants) == sorted(expected_sizes)
    for uri in variants:
        joined, segment_urls = fetch_rendition(manifest_url, uri, tmp_path / f"{uri}.ts")
        assert segment_urls, uri
        for url in segment_urls:
            assert re.fullmatch(
                rf"{re.escape(api.url)}/stream/{video_id}/segment/[\w-]+\.(m4s|mp4)", url
            )
        duration, width, height = decoded_duration(joined)
        assert abs(duration - 3.0) <= 0.5, (uri, duration)
        assert (width, height) == expected_sizes[uri]

    poster = httpx.get(status["thumbnailUrl"])
    assert poster.status_code == 200
    assert poster.content[:3] == b"\xff\xd8\xff"

    details = httpx.get(f"{api.url}/api/videos/{video_id}", headers=alice).json()
    assert details["owner"] == "alice"
    assert details["playback"]["hls"] == manifest_url
    assert details["videoCodec"] == "h264"
    assert details["filename"] == "clip.mp4"


def test_video_without_audio_and_octet_stream_upload(api, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "silent.mov", duration=2, width=320, height=240, audio=False)
    alice = auth("alice")
    video_id = upload(api.url, clip, alice, content_type="application/octet-stream")
    status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
    assert status["state"] == "ready", status
    master = httpx.get(status["playbackUrl"]).text
    assert "mp4a" not in master
    # A 240p source is not upscaled: one rendition.
    assert [r["name"] for r in status["renditions"]] == ["240p"]


def test_segment_ranges_caching_and_traversal(api, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
    alice = auth("alice")
    video_id = upload(api.url, clip, alice)
    status = wait_for_state(api.url, video_id, alice, {"ready"})
    variant = urljoin(status["playbackUrl"], status["renditions"][0]["name"] + ".m3u8")
    segment_url = urljoin(variant, playlist_uris(httpx.get(variant).text)[0])

    full = httpx.get(segment_url)
    assert full.status_code == 200
    size = len(full.content)
    assert full.headers["content-length"] == str(size)
    assert "immutable" in full.headers["cache-control"]
    assert full.headers["etag"] and full.headers["last-modified"]

    part = httpx.get(segment_url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 10-109/{size}"
    assert part.content == full.content[10:110]

    suffix = httpx.get(segment_url, headers={"Range": "bytes=-50"})
    assert suffix.status_code == 206
    assert suffix.content == full.content[-50:]

    unsatisfiable = httpx.get(segment_url, headers={"Range": f"bytes={size + 10}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"

    not_modified = httpx.get(segment_url, headers={"If-None-Match": full.headers["etag"]})
    assert not_modified.status_code == 304

    base = f"{api.url}/stream/{video_id}/segment/"
    for evil in ["..%2F..%2Fsource", "..%2Fmaster.m3u8", "%2e%2e%2fsource", "nope.ts", "x"]:
        r = httpx.get(base + evil)
        assert r.status_code == 404, evil
        assert r.json()["code"]
    assert httpx.get(f"{api.url}/stream/{video_id}/..%2Fsource.m3u8").status_code == 404
    assert httpx.get(f"{api.url}/stream/{video_id}/segment/").status_code == 404


def test_upload_errors(api, tmp_path: Path) -> None:
    alice = auth("alice")
    url = api.url + "/upload"

    r = httpx.post(url, data={"client_id": "abc"}, files={"other": ("a.txt", b"x")}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "no_file")
    r = httpx.post(url, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "no_file")
    r = httpx.post(url, files={"file": ("empty.mp4", b"", "video/mp4")}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "empty_file")
    text = b"this is not a video\n" * 200
    r = httpx.post(url, files={"file": ("renamed.mp4", text, "video/mp4")}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "not_a_video")
    assert r.json()["error"]

    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    r = httpx.post(url, files={"file": ("clip.mp4", clip.read_bytes(), "video/mp4")})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    r = httpx.post(
        url,
        files={"file": ("clip.mp4", clip.read_bytes(), "video/mp4")},
        headers={"Authorization": "Bearer not-a-jwt"},
    )
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token")

    # Nothing rejected was kept: no stray temp files, no stored objects.
    assert tmp_files(api.data_dir) == []
    assert not (api.data_dir / "storage" / "videos").exists()


def test_ownership_and_unknown_ids(api, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    alice, bob = auth("alice"), auth("bob")
    video_id = upload(api.url, clip, alice)

    for path in (f"/api/videos/{video_id}", f"/api/videos/{video_id}/status"):
        assert httpx.get(api.url + path).status_code == 401
        r = httpx.get(api.url + path, headers=bob)
        assert (r.status_code, r.json()["code"]) == (403, "access_denied")
        assert httpx.get(api.url + path, headers=alice).status_code == 200

    unknown = "00000000-0000-0000-0000-000000000000"
    r = httpx.get(f"{api.url}/api/videos/{unknown}", headers=alice)
    assert (r.status_code, r.json()["code"]) == (404, "video_not_found")
    r = httpx.get(f"{api.url}/stream/{unknown}/manifest")
    assert r.status_code == 404
    assert httpx.get(f"{api.url}/stream/{unknown}/segment/360p_00000.ts").status_code == 404


def test_not_ready_is_409_and_limit_is_413(server_factory, tmp_path: Path) -> None:
    # No worker: uploaded videos stay uploaded, so streaming must answer 409 (not 404).
    api = server_factory(
        env={**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false", "VIDHOST_MAX_UPLOAD_BYTES": "200000"}
    )
    alice = auth("alice")
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    video_id = upload(api.url, clip, alice)
    r = httpx.get(f"{api.url}/stream/{video_id}/manifest")
    assert (r.status_code, r.json()["code"]) == (409, "not_ready")
    assert httpx.get(f"{api.url}/stream/{video_id}/240p.m3u8").status_code == 409
    assert video_id not in httpx.get(api.url + "/stream/ready").json()
    status = httpx.get(f"{api.url}/api/videos/{video_id}/status", headers=alice).json()
    assert status["state"] == "uploaded"
    assert task(status, "transcode")["status"] == "pending"

    big = make_clip(tmp_path / "big.mp4", duration=4, width=640, height=480)
    assert big.stat().st_size > 200000
    r = httpx.post(
        api.url + "/upload",
        files={"file": ("big.mp4", big.read_bytes(), "video/mp4")},
        headers=alice,
    )
    assert (r.status_code, r.json()["code"]) == (413, "file_too_large")
    assert tmp_files(api.data_dir) == []
