"""Cloudflare Stream's API on vidhost, driven by the official ``cloudflare`` SDK (PyPI).

Only the SDK's ``base_url`` changes; uploads go where ``uploadURL`` / ``Location`` point.
"""

from __future__ import annotations

from pathlib import Path

import cloudflare
import httpx
import pytest

from tests.e2e.providers.cloudflare.conftest import (
    form_upload,
    play_hls,
    sdk,
    token,
    wait_pct,
    wait_ready,
)
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_direct_upload_form_post_then_ready_then_hls_plays_to_the_source_duration(
    server: ServerProcess, clip: Path, tmp_path: Path
) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, meta={"name": "clip.mp4", "userId": "u1"}
    )
    assert upload is not None and upload.uid and upload.upload_url
    assert upload.watermark is None
    pending = cf.stream.get(identifier=upload.uid, account_id="alice")
    assert pending is not None and pending.status is not None
    assert pending.status.state == "pendingupload"
    assert pending.ready_to_stream is False

    r = form_upload(upload.upload_url, clip)
    assert r.status_code == 200, r.text
    again = form_upload(upload.upload_url, clip)  # one upload per URL
    assert again.status_code == 409
    assert again.json()["success"] is False

    video = wait_ready(cf, "alice", upload.uid)
    assert video.ready_to_stream is True and video.status is not None
    assert video.status.state == "ready"
    assert video.status.pct_complete is not None  # the ladder's share stored, a string
    assert 0 <= float(video.status.pct_complete) <= 100
    assert video.ready_to_stream_at is not None and video.uploaded is not None
    assert video.meta == {"name": "clip.mp4", "userId": "u1"}
    assert video.max_duration_seconds == 60
    assert video.require_signed_urls is False
    assert video.size == clip.stat().st_size
    assert video.input is not None and (video.input.width, video.input.height) == (160, 120)
    assert video.duration == pytest.approx(2.0, abs=0.1)
    assert video.created is not None and video.modified is not None
    assert video.playback is not None and video.playback.hls is not None
    assert video.playback.hls == f"{server.url}/{upload.uid}/manifest/video.m3u8"

    seconds, _, height = play_hls(video.playback.hls, tmp_path / "played.ts")
    assert seconds == pytest.approx(2.0, abs=0.1)
    assert height == 120  # the ladder never upscales
    done = wait_pct(cf, "alice", upload.uid, "100.000000")  # every rendition stored
    assert done.ready_to_stream is True and done.status is not None
    assert video.thumbnail is not None
    thumb = httpx.get(video.thumbnail, params={"time": "1s", "height": 64})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:2] == b"\xff\xd8"


def test_max_duration_is_enforced_after_probing(server: ServerProcess, clip: Path) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=1)
    assert upload is not None and upload.upload_url and upload.uid
    r = form_upload(upload.upload_url, clip)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and body["result"] is None and body["messages"] == []
    (error,) = body["errors"]
    assert error["vidhost_code"] == "duration_too_long"
    assert isinstance(error["code"], int) and error["message"]
    video = cf.stream.get(identifier=upload.uid, account_id="alice")
    assert video is not None and video.status is not None
    assert video.status.state == "error"
    assert video.status.error_reason_code == "ERR_DURATION_EXCEED_CONSTRAINT"
    assert video.status.error_reason_text
    assert video.ready_to_stream is False


def test_list_filters_and_delete(server: ServerProcess, clip: Path) -> None:
    cf = sdk(server, "carol")
    ids = []
    for name in ("first-cat.mp4", "second-dog.mp4"):
        upload = cf.stream.direct_upload.create(
            account_id="carol", max_duration_seconds=60, meta={"name": name}, creator="c-7"
        )
        assert upload is not None and upload.uid
        ids.append(upload.uid)
    assert form_upload(str(upload.upload_url), clip).status_code == 200
    wait_ready(cf, "carol", ids[1])

    everything = [v.uid for v in cf.stream.list(account_id="carol")]
    assert everything == [ids[1], ids[0]]  # newest first
    assert [v.uid for v in cf.stream.list(account_id="carol", asc=True)] == ids
    assert [v.uid for v in cf.stream.list(account_id="carol", status="ready")] == [ids[1]]
    pending = cf.stream.list(account_id="carol", status="pendingupload")
    assert [v.uid for v in pending] == [ids[0]]
    assert [v.uid for v in cf.stream.list(account_id="carol", search="cat")] == [ids[0]]
    assert [v.uid for v in cf.stream.list(account_id="carol", creator="c-7")] == [ids[1], ids[0]]
    assert list(cf.stream.list(account_id="carol", creator="nobody")) == []
    first = cf.stream.get(identifier=ids[0], account_id="carol")
    assert first is not None and first.created is not None and first.creator == "c-7"
    after = cf.stream.list(account_id="carol", start=first.created)
    assert [v.uid for v in after] == [ids[1]]
    assert [v.uid for v in cf.stream.list(account_id="carol", end=first.created)] == []

    cf.stream.delete(identifier=ids[0], account_id="carol")
    with pytest.raises(cloudflare.NotFoundError):
        cf.stream.get(identifier=ids[0], account_id="carol")
    assert [v.uid for v in cf.stream.list(account_id="carol")] == [ids[1]]


# --- bad input --------------------------------------------------------------------------------


def _envelope_error(exc: cloudflare.APIStatusError) -> dict:
    body = exc.response.json()
    assert body["success"] is False and body["result"] is None and body["messages"] == []
    (error,) = body["errors"]
    assert isinstance(error["code"], int) and isinstance(error["message"], str)
    return dict(error)


def test_a_bad_token_is_401_in_cloudflares_shape(server: ServerProcess) -> None:
    cf = sdk(server, api_token="not-a-vidhost-token")
    with pytest.raises(cloudflare.AuthenticationError) as info:
        cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    error = _envelope_error(info.value)
    assert error["code"] == 10000 and error["vidhost_code"] == "invalid_token"
    r = httpx.get(f"{server.url}/client/v4/accounts/alice/stream")
    assert r.status_code == 401 and r.json()["errors"][0]["vidhost_code"] == "unauthorized"


def test_another_account_is_403_and_another_owners_video_404(
    server: ServerProcess,
) -> None:
    alice, bob = sdk(server), sdk(server, "bob")
    with pytest.raises(cloudflare.PermissionDeniedError) as info:
        alice.stream.list(account_id="bob")
    assert _envelope_error(info.value)["vidhost_code"] == "account_mismatch"
    upload = alice.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.uid
    with pytest.raises(cloudflare.NotFoundError) as missing:
        bob.stream.get(identifier=upload.uid, account_id="bob")
    assert _envelope_error(missing.value)["vidhost_code"] == "video_not_found"
    with pytest.raises(cloudflare.NotFoundError):
        bob.stream.delete(identifier=upload.uid, account_id="bob")
    with pytest.raises(cloudflare.NotFoundError):
        bob.stream.token.create(identifier=upload.uid, account_id="bob")
    assert alice.stream.get(identifier=upload.uid, account_id="alice") is not None


def test_unknown_fields_are_ignored_and_bad_values_refused(server: ServerProcess) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice",
        max_duration_seconds=30,
        extra_body={"notAField": {"x": 1}},
    )
    assert upload is not None and upload.uid
    # a Cloudflare field vidhost does not implement is refused by name, not dropped (issue 21)
    with pytest.raises(cloudflare.BadRequestError) as watermark:
        cf.stream.direct_upload.create(
            account_id="alice", max_duration_seconds=30, extra_body={"watermark": {"uid": "w"}}
        )
    assert _envelope_error(watermark.value)["vidhost_code"] == "unsupported_field"
    with pytest.raises(cloudflare.BadRequestError) as info:
        cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=0)
    assert _envelope_error(info.value)["vidhost_code"] == "invalid_request"
    r = httpx.post(
        f"{server.url}/client/v4/accounts/alice/stream/direct_upload",
        headers={"Authorization": f"Bearer {token('alice')}"},
        json={"maxDurationSeconds": 10, "expiry": "2001-01-01T00:00:00Z"},
    )
    assert r.status_code == 400 and r.json()["errors"][0]["vidhost_code"] == "invalid_request"


def test_a_tampered_upload_url_is_refused(server: ServerProcess, clip: Path) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.upload_url
    url = str(upload.upload_url).replace("max=", "max=9")
    r = form_upload(url, clip)
    assert r.status_code == 403
    assert r.json()["errors"][0]["vidhost_code"] == "invalid_signature"


def test_allowed_origins_are_checked_against_a_browsers_origin(
    server: ServerProcess, clip: Path
) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, allowed_origins=["*.good.example"]
    )
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    video = wait_ready(cf, "alice", upload.uid)
    assert video.allowed_origins == ["*.good.example"]
    assert video.playback is not None and video.playback.hls is not None
    hls = video.playback.hls
    assert httpx.get(hls, headers={"Origin": "https://app.good.example"}).status_code == 200
    evil = httpx.get(hls, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["code"] == "access_denied"
    assert httpx.get(hls).status_code == 200  # no Origin: not a browser page, not checked


ODD = [
    ("GET", "/client/v4/accounts/alice/stream/" + "x" * 300, None),
    ("GET", "/client/v4/accounts/alice/stream?start=yesterday", None),
    ("GET", "/client/v4/accounts/alice/stream?status=bogus", None),
    ("GET", "/client/v4/accounts/alice/stream?limit=0", None),
    ("POST", "/client/v4/accounts/alice/stream/direct_upload", b"not json"),
    ("POST", "/client/v4/accounts/alice/stream/direct_upload", b'{"maxDurationSeconds": "x"}'),
    (
        "POST",
        "/client/v4/accounts/alice/stream/direct_upload",
        b'{"maxDurationSeconds": 5, "meta": 3}',
    ),
    ("POST", "/client/v4/accounts/alice/stream/nope/token", b"{}"),
    ("POST", "/client/v4/accounts/alice/stream", None),
    ("PUT", "/client/v4/accounts/alice/stream/webhook", b'{"notificationUrl": "ftp://x"}'),
    ("GET", "/a.b.c/manifest/video.m3u8", None),
    ("GET", "/not-a-video/manifest/video.m3u8", None),
    ("GET", "/bad%20id/thumbnails/thumbnail.jpg", None),
    ("GET", "/cloudflare/tus/abc?expires=1&sig=x", None),
    ("POST", "/cloudflare/upload/abc?expires=x&max=1&sig=y", b""),
]


@pytest.mark.parametrize(("method", "path", "body"), ODD)
def test_odd_requests_get_a_coded_4xx_never_a_5xx(
    server: ServerProcess, method: str, path: str, body: bytes | None
) -> None:
    headers = {
        "Authorization": f"Bearer {token('alice')}",
        "Content-Type": "application/json",
        "Tus-Resumable": "1.0.0",
    }
    r = httpx.request(method, server.url + path, headers=headers, content=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if r.headers.get("content-type", "").startswith("application/json"):
        data = r.json()
        code = data["errors"][0]["vidhost_code"] if "errors" in data else data["code"]
        assert isinstance(code, str) and code
