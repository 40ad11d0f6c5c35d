"""Cloudflare Stream downloads (ADR 0065) with the official ``cloudflare`` SDK, only its base
URL changed: ``stream.downloads.create/get/delete`` (the default MP4), the audio download
(``POST .../downloads/audio``, which the SDK reaches through its own ``post``), the files
at ``/{uid}/downloads/default.mp4`` and ``/audio.m4a`` (a token for ``requireSignedURLs``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from cloudflare import Cloudflare
from cloudflare._wrappers import ResultWrapper
from cloudflare.types.stream.download_create_response import DownloadCreateResponse

from tests.clips import make_clip
from tests.e2e.download_checks import produced
from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

DURATION = 20.0
FRAME = 1 / 25


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("cfdl") / "long.mp4", duration=DURATION, width=160, height=120
    )


def _ready_video(cf: Cloudflare, clip: Path, **extra: Any) -> str:
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60, **extra)
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    assert wait_ready(cf, "alice", upload.uid).ready_to_stream
    return upload.uid


def _audio(cf: Cloudflare, uid: str) -> DownloadCreateResponse:
    """The SDK's own request path, with the result unwrapped as its ``create`` does."""
    wrapper = ResultWrapper[DownloadCreateResponse]
    result = cf.post(
        f"/accounts/alice/stream/{uid}/downloads/audio",
        cast_to=cast(Any, wrapper),
        options={"post_parser": wrapper._unwrapper},
    )
    assert isinstance(result, DownloadCreateResponse)
    return result


def _wait(cf: Cloudflare, uid: str, kinds: set[str], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = cf.stream.downloads.get(identifier=uid, account_id="alice")
        states = {k: getattr(got, k) for k in kinds}
        if all(s is not None and s.status != "inprogress" for s in states.values()):
            return got
        time.sleep(0.3)
    raise AssertionError(f"downloads of {uid} still in progress: {got}")


def _fetch(url: str, dest: Path) -> httpx.Response:
    with httpx.stream("GET", url, timeout=60) as r, dest.open("wb") as out:
        for block in r.iter_bytes():
            out.write(block)
    return r


def test_default_and_audio_downloads_remuxed_from_the_ladder(
    server: ServerProcess, long_clip: Path, tmp_path: Path
) -> None:
    cf = sdk(server)
    uid = _ready_video(cf, long_clip)
    created = cf.stream.downloads.create(identifier=uid, account_id="alice")
    assert created is not None and created.default is not None and created.audio is None
    assert created.default.status in ("inprogress", "ready")
    assert 0 <= created.default.percent_complete <= 100
    audio = _audio(cf, uid)
    assert audio.audio is not None and audio.audio.url.endswith(f"/{uid}/downloads/audio.m4a")
    got = _wait(cf, uid, {"default", "audio"})
    assert got.default.status == got.audio.status == "ready"
    assert got.default.percent_complete == 100
    assert got.default.url == f"{server.url}/{uid}/downloads/default.mp4"
    for item, has_video in ((got.default, True), (got.audio, False)):
        path = tmp_path / item.url.rsplit("/", 1)[-1]
        r = _fetch(item.url, path)
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment; filename=")
        media = produced(path)
        assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
        if has_video:
            assert media.video_seconds is not None
            assert abs(media.video_seconds - DURATION) <= FRAME, media
            assert media.height == 120
        else:
            assert media.video_seconds is None
    ranged = httpx.get(got.default.url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content[4:8] == b"ftyp"
    assert cf.stream.downloads.delete(identifier=uid, account_id="alice") == "ok"
    left = cf.stream.downloads.get(identifier=uid, account_id="alice")
    assert left is not None and left.default is None and left.audio is not None
    assert httpx.get(got.default.url).status_code == 404


def test_a_signed_videos_download_needs_a_token(
    server: ServerProcess, long_clip: Path, tmp_path: Path
) -> None:
    cf = sdk(server)
    uid = _ready_video(cf, long_clip, require_signed_urls=True)
    cf.stream.downloads.create(identifier=uid, account_id="alice")
    _wait(cf, uid, {"default"})
    url = f"{server.url}/{uid}/downloads/default.mp4"
    refused = httpx.get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "playback_token_required"
    signed = cf.stream.token.create(identifier=uid, account_id="alice")
    assert signed is not None and signed.token
    path = tmp_path / "signed.mp4"
    assert _fetch(f"{server.url}/{signed.token}/downloads/default.mp4", path).status_code == 200
    assert produced(path).video_seconds is not None
    assert httpx.get(f"{url}?token={signed.token}").status_code == 200


def test_downloads_of_another_account_or_a_pending_video_are_refused(
    server: ServerProcess, clip: Path
) -> None:
    cf = sdk(server)
    uid = _ready_video(cf, clip)
    bob = sdk(server, "bob")
    r = httpx.post(
        f"{server.url}/client/v4/accounts/bob/stream/{uid}/downloads",
        headers={"Authorization": f"Bearer {bob.api_token}"},
    )
    assert r.status_code == 404 and r.json()["success"] is False
    pending = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert pending is not None
    r = httpx.post(
        f"{server.url}/client/v4/accounts/alice/stream/{pending.uid}/downloads",
        headers={"Authorization": f"Bearer {cf.api_token}"},
    )
    assert r.status_code == 409 and r.json()["errors"][0]["vidhost_code"] == "not_ready"
    r = httpx.post(
        f"{server.url}/client/v4/accounts/alice/stream/{uid}/downloads/subtitles",
        headers={"Authorization": f"Bearer {cf.api_token}"},
    )
    assert r.status_code == 404
