"""tus to Cloudflare's stream endpoint with a real tus client (tuspy), and signed URLs."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import jwt
import pytest
from tusclient import client as tus_client

from tests.e2e.providers.cloudflare.conftest import form_upload, play_hls, sdk, token, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_tuspy_uploads_to_the_stream_endpoint(server: ServerProcess, clip: Path) -> None:
    endpoint = f"{server.url}/client/v4/accounts/alice/stream"
    tus = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {token('alice')}"})
    uploader = tus.uploader(
        str(clip),
        chunk_size=16 * 1024,
        metadata={"name": "tus-clip.mp4", "maxdurationseconds": "60"},
    )
    uploader.upload()
    assert uploader.offset == clip.stat().st_size
    assert uploader.url is not None
    head = httpx.head(uploader.url, headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 200 and head.headers["tus-resumable"] == "1.0.0"
    uid = head.headers["vidhost-video-id"]
    video = wait_ready(sdk(server), "alice", uid)
    assert video.ready_to_stream is True
    assert video.meta == {"name": "tus-clip.mp4"}
    assert video.max_duration_seconds == 60
    assert video.size == clip.stat().st_size


def test_direct_user_location_is_a_one_upload_url_for_an_end_user(
    server: ServerProcess, clip: Path
) -> None:
    """The backend creates the upload (``direct_user=true``) with the SDK; the end user's tus
    client uploads to ``Location`` without any API token."""
    size = clip.stat().st_size
    meta = f"name {base64.b64encode(b'end-user.mp4').decode()},requiresignedurls"
    raw = sdk(server).stream.with_raw_response.create(
        account_id="alice",
        tus_resumable="1.0.0",
        upload_length=size,
        direct_user=True,
        upload_metadata=meta,
        upload_creator="creator-1",
    )
    assert raw.status_code == 201
    location, uid = raw.headers["location"], raw.headers["stream-media-id"]
    head = httpx.head(location, headers={"Tus-Resumable": "1.0.0"})  # no API token
    assert head.status_code == 200 and head.headers["vidhost-video-id"] == uid
    assert head.headers["upload-offset"] == "0" and head.headers["upload-length"] == str(size)
    end_user = tus_client.TusClient(server.url)
    uploader = end_user.uploader(str(clip), url=location, chunk_size=32 * 1024)
    assert uploader.offset == 0
    uploader.upload()
    video = wait_ready(sdk(server), "alice", uid)
    assert video.require_signed_urls is True and video.creator == "creator-1"
    bad = location.replace("sig=", "sig=0")
    assert httpx.head(bad, headers={"Tus-Resumable": "1.0.0"}).status_code == 403
    tus_no_auth = httpx.post(
        f"{server.url}/client/v4/accounts/alice/stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"},
    )
    assert tus_no_auth.status_code == 401
    assert tus_no_auth.json()["errors"][0]["code"] == 10000


def test_signed_urls_play_with_a_token_only(
    server: ServerProcess, clip: Path, tmp_path: Path
) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, require_signed_urls=True
    )
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    video = wait_ready(cf, "alice", upload.uid)
    assert video.require_signed_urls is True
    assert video.playback is not None and video.playback.hls is not None
    uid = upload.uid

    refused = httpx.get(video.playback.hls)
    assert refused.status_code == 403
    assert refused.json()["code"] == "playback_token_required"
    assert httpx.get(f"{server.url}/{uid}/thumbnails/thumbnail.jpg").status_code == 403

    created = cf.stream.token.create(identifier=uid, account_id="alice")
    assert created is not None and created.token
    signed = created.token
    claims = jwt.decode(signed, options={"verify_signature": False})
    assert claims["sub"] == uid and "aud" not in claims
    assert claims["exp"] <= time.time() + 3600 + 5
    assert jwt.get_unverified_header(signed)["kid"]

    seconds, _, _ = play_hls(f"{server.url}/{signed}/manifest/video.m3u8", tmp_path / "s.ts")
    assert seconds == pytest.approx(2.0, abs=0.1)
    thumb = httpx.get(f"{server.url}/{signed}/thumbnails/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert "private" in thumb.headers["cache-control"]

    # A token for one video opens no other, and an expired one nothing.
    other = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert other is not None and other.uid
    short = cf.stream.token.create(identifier=uid, account_id="alice", exp=int(time.time()) + 2)
    assert short is not None and short.token
    time.sleep(3)
    expired = httpx.get(f"{server.url}/{short.token}/manifest/video.m3u8")
    assert expired.status_code == 403 and expired.json()["code"] == "playback_token_expired"


def test_a_token_signed_offline_with_a_vidhost_signing_key(
    server: ServerProcess, clip: Path, tmp_path: Path
) -> None:
    """Cloudflare's offline signing: RS256 with the key's id as ``kid``, ``sub`` = uid."""
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, require_signed_urls=True
    )
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    wait_ready(cf, "alice", upload.uid)
    r = httpx.post(
        f"{server.url}/api/signing-keys", headers={"Authorization": f"Bearer {token('alice')}"}
    )
    assert r.status_code in (200, 201), r.text
    key = r.json()
    pem = base64.b64decode(key["privateKey"]).decode()
    offline = jwt.encode(
        {"sub": upload.uid, "exp": int(time.time()) + 600},
        pem,
        "RS256",
        headers={"kid": key["id"]},
    )
    seconds, _, _ = play_hls(f"{server.url}/{offline}/manifest/video.m3u8", tmp_path / "o.ts")
    assert seconds == pytest.approx(2.0, abs=0.1)
    # The same key through the API (id + pem), as Cloudflare's /token takes it.
    made = cf.stream.token.create(
        identifier=upload.uid, account_id="alice", id=key["id"], pem=key["privateKey"]
    )
    assert made is not None and made.token
    assert jwt.get_unverified_header(made.token)["kid"] == key["id"]
    assert httpx.get(f"{server.url}/{made.token}/manifest/video.m3u8").status_code == 200
