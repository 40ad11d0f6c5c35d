"""Webhook signatures against independent implementations, and the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from tests.webhook_receiver import verify_webhook_signature
from vidhost.core.webhook_signing import new_secret, signed_headers, x_webhook_signature
from vidhost.notify.webhooks.dispatcher import retry_at

BODY = b'{"type":"video.asset.ready","data":{"id":"v1"}}'


def test_x_webhook_signature_known_vector():
    # HMAC-SHA256("secret", "hello"), e.g. `echo -n hello | openssl dgst -sha256 -hmac secret`
    expected = "88aab3ede8d3adf94d26ab90d3bafd4a2083070c3bcce9c014ee04a443847c0b"
    assert x_webhook_signature("secret", b"hello") == f"sha256={expected}"
    assert verify_webhook_signature(BODY.decode(), x_webhook_signature("k", BODY), "k")
    assert not verify_webhook_signature(BODY.decode(), x_webhook_signature("k", BODY), "other")


def test_standard_webhooks_library_accepts_generated_and_plain_secrets():
    now = int(datetime.now(UTC).timestamp())
    generated = new_secret()
    headers = signed_headers(generated, "msg_1", now, BODY)
    assert Webhook(generated).verify(BODY, headers) == {
        "type": "video.asset.ready",
        "data": {"id": "v1"},
    }
    plain = "a-plain-shared-secret"
    headers = signed_headers(plain, "msg_2", now, BODY, previous_secret=generated)
    Webhook(plain.encode()).verify(BODY, headers)
    Webhook(generated).verify(BODY, headers)  # the previous secret still verifies
    assert headers["x-webhook-signature"] == x_webhook_signature(plain, BODY)


def test_retry_schedule_doubles_and_stops_at_expiry():
    now = datetime(2024, 1, 1, tzinfo=UTC)
    expires = now + timedelta(hours=24)
    delays = [(retry_at(n, now, expires, 5.0) - now).total_seconds() for n in range(1, 6)]  # type: ignore[operator]
    for n, delay in enumerate(delays, start=1):
        assert 0.9 * 5 * 2 ** (n - 1) <= delay <= 1.1 * 5 * 2 ** (n - 1)
    late = retry_at(30, now, expires, 5.0)
    assert late is not None and (late - now).total_seconds() <= 3600 * 1.1
    assert retry_at(3, expires - timedelta(seconds=1), expires, 5.0) == expires
    assert retry_at(3, expires, expires, 5.0) is None
