"""Cloudflare's "Edit video details" (``POST .../stream/{uid}``) with the official SDK's
``stream.edit``: every field it sends either takes effect or is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cloudflare
import httpx
import pytest

from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_edit_takes_effect_on_meta_signing_origins_and_thumbnail(
    server: ServerProcess, clip: Path
) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, meta={"name": "before.mp4"}
    )
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    video = wait_ready(cf, "alice", upload.uid)
    assert video.playback is not None and video.playback.hls is not None
    hls = video.playback.hls
    assert httpx.get(hls).status_code == 200
    before = httpx.get(f"{server.url}/{upload.uid}/thumbnails/thumbnail.jpg").content

    edited = cf.stream.edit(
        upload.uid,
        account_id="alice",
        meta={"name": "after.mp4", "userId": "u9"},
        require_signed_urls=True,
        allowed_origins=["app.example"],
        creator="c-1",
        thumbnail_timestamp_pct=0.9,
    )
    assert edited is not None
    assert edited.meta == {"name": "after.mp4", "userId": "u9"}
    assert edited.require_signed_urls is True and edited.allowed_origins == ["app.example"]
    assert edited.creator == "c-1" and edited.thumbnail_timestamp_pct == 0.9
    # requireSignedURLs: the stream now needs a token, at once.
    refused = httpx.get(hls)
    assert refused.status_code == 403
    tok = cf.stream.token.create(upload.uid, account_id="alice")
    assert tok is not None and tok.token
    signed = httpx.get(f"{server.url}/{tok.token}/manifest/video.m3u8")
    assert signed.status_code == 200
    evil = httpx.get(
        f"{server.url}/{tok.token}/manifest/video.m3u8", headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    # thumbnailTimestampPct: the default thumbnail is taken at 90 % now, not at 0 s.
    after = httpx.get(f"{server.url}/{tok.token}/thumbnails/thumbnail.jpg")
    assert after.status_code == 200 and after.content[:2] == b"\xff\xd8"
    assert after.content != before
    # The listing filters by the new creator; a field left out keeps its value.
    again = cf.stream.edit(upload.uid, account_id="alice", require_signed_urls=False)
    assert again is not None and again.meta == {"name": "after.mp4", "userId": "u9"}
    assert again.creator == "c-1" and httpx.get(hls).status_code == 200


def test_edit_refuses_what_it_does_not_implement_by_name(server: ServerProcess, clip: Path) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.uid
    with pytest.raises(cloudflare.BadRequestError) as refused:
        cf.stream.edit(upload.uid, account_id="alice", upload_expiry="2099-01-01T00:00:00Z")
    body = refused.value.response.json()
    assert body["errors"][0]["vidhost_code"] == "unsupported_field"
    assert "uploadExpiry" in body["errors"][0]["message"]
    other = httpx.post(
        f"{server.url}/client/v4/accounts/alice/stream/{upload.uid}",
        json={"meta": {"name": "x"}},
        headers={"Authorization": f"Bearer {sdk(server, 'bob').api_token}"},
    )
    assert other.status_code in (403, 404)


def test_scheduled_deletion_is_at_least_30_days_ahead_and_echoed(server: ServerProcess) -> None:
    cf = sdk(server)
    soon = (datetime.now(UTC) + timedelta(days=29)).isoformat()
    with pytest.raises(cloudflare.BadRequestError) as refused:
        cf.stream.direct_upload.create(
            account_id="alice", max_duration_seconds=60, scheduled_deletion=soon
        )
    error = refused.value.response.json()["errors"][0]
    assert error["vidhost_code"] == "invalid_request" and "scheduledDeletion" in error["message"]
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    upload = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, scheduled_deletion=later.isoformat()
    )
    assert upload is not None and upload.scheduled_deletion == later
    video = cf.stream.get(identifier=upload.uid, account_id="alice")
    assert video is not None and video.scheduled_deletion == later
    # edit: null lifts it
    lifted = cf.stream.edit(upload.uid, account_id="alice", scheduled_deletion=None)
    assert lifted is not None and lifted.scheduled_deletion is None
