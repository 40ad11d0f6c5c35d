"""Cloudflare-format webhooks: registered with the SDK, delivered by vidhost's outbox, and
verified the way Cloudflare's documentation shows (the verifier is written from it here)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import cloudflare
import httpx
import pytest

from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, token
from tests.http_server import Listener
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def verify_cloudflare_signature(header: str | None, body: bytes, secret: str) -> bool:
    """Cloudflare's steps: split ``Webhook-Signature`` on ``,`` then ``=``; the source string
    is ``time + "." + body``; HMAC-SHA256 keyed with the secret, hex; compare in constant
    time; refuse old timestamps."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "time" not in parts or "sig1" not in parts:
        return False
    if abs(time.time() - int(parts["time"])) > 300:
        return False
    source = parts["time"].encode() + b"." + body
    expected = hmac.new(secret.encode(), source, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["sig1"])


@pytest.fixture
def collector() -> Iterator[Listener]:
    with Listener(path="/cf-hook") as listener:
        yield listener


def test_ready_and_error_notifications_are_signed_video_objects(
    server: ServerProcess, clip: Path, collector: Listener
) -> None:
    cf = sdk(server, "dana")
    # This SDK sends the snake_case spelling (body_notification_url_1 -> notification_url).
    hook = cf.stream.webhooks.update(account_id="dana", body_notification_url_1=collector.url)
    assert hook is not None and hook.notification_url == collector.url
    assert hook.secret is not None and len(hook.secret) >= 32 and hook.modified is not None
    secret = hook.secret
    got = cf.stream.webhooks.get(account_id="dana")
    assert got is not None and got.notification_url == collector.url and got.secret == secret

    good = cf.stream.direct_upload.create(account_id="dana", max_duration_seconds=60)
    long = cf.stream.direct_upload.create(account_id="dana", max_duration_seconds=1)
    assert good is not None and good.upload_url and long is not None and long.upload_url
    assert form_upload(good.upload_url, clip).status_code == 200
    assert form_upload(long.upload_url, clip).status_code == 400

    received = collector.wait(2, timeout=90)
    bodies = {}
    for request in received:
        signature, body = request.headers.get("webhook-signature"), request.body
        assert verify_cloudflare_signature(signature, body, secret)
        assert not verify_cloudflare_signature(signature, body, "x" * 64)
        video = json.loads(body)
        bodies[video["uid"]] = video
    assert bodies[good.uid]["readyToStream"] is True
    assert bodies[good.uid]["status"]["state"] == "ready"
    assert bodies[good.uid]["playback"]["hls"].endswith(f"/{good.uid}/manifest/video.m3u8")
    assert bodies[long.uid]["status"]["state"] == "error"
    assert bodies[long.uid]["status"]["errorReasonCode"] == "ERR_DURATION_EXCEED_CONSTRAINT"
    # The same delivery log as every vidhost endpoint.
    auth = {"Authorization": f"Bearer {token('dana')}"}
    endpoints = httpx.get(f"{server.url}/api/webhooks", headers=auth).json()
    (endpoint,) = [e for e in endpoints if e["format"] == "cloudflare"]
    log = httpx.get(f"{server.url}/api/webhooks/{endpoint['id']}/deliveries", headers=auth)
    assert log.status_code == 200 and len(log.json()) == 2

    cf.stream.webhooks.delete(account_id="dana")
    with pytest.raises(cloudflare.NotFoundError):
        cf.stream.webhooks.get(account_id="dana")


def test_notification_url_in_camel_case_and_a_missing_one(
    server: ServerProcess, collector: Listener
) -> None:
    r = httpx.put(
        f"{server.url}/client/v4/accounts/erin/stream/webhook",
        headers={"Authorization": f"Bearer {token('erin')}"},
        json={"notificationUrl": collector.url, "ignored": True},
    )
    assert r.status_code == 200, r.text
    first = r.json()["result"]
    assert first["notificationUrl"] == collector.url
    again = sdk(server, "erin").stream.webhooks.update(
        account_id="erin", body_notification_url_2=collector.url
    )
    assert again is not None and again.secret != first["secret"]  # a PUT replaces
    endpoints = httpx.get(
        f"{server.url}/api/webhooks", headers={"Authorization": f"Bearer {token('erin')}"}
    ).json()
    assert [e["format"] for e in endpoints] == ["cloudflare"]
    missing = httpx.put(
        f"{server.url}/client/v4/accounts/erin/stream/webhook",
        headers={"Authorization": f"Bearer {token('erin')}"},
        json={"unknown": 1},
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["vidhost_code"] == "invalid_request"
