"""Webhook signatures: ``x-webhook-signature`` and Standard Webhooks headers.

- ``x-webhook-signature: sha256=<hex HMAC-SHA256(secret, raw body)>``, the secret's UTF-8
  bytes as key: exactly what an upload-URL backend's ``verifyWebhookSignature`` computes.
- ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64
  HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`` (https://www.standardwebhooks.com/), where
  the key is the base64 part of a ``whsec_`` secret, or the secret's UTF-8 bytes otherwise.
  During a rotation the previous secret signs too (space-separated signatures).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks style secret: ``whsec_`` + 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def x_webhook_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def timestamped_hmac(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of ``"<timestamp>.<body>"``: the
    signature of Mux (``Mux-Signature: t=…,v1=…``) and Cloudflare (``Webhook-Signature:
    time=…,sig1=…``) webhooks."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _standard_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except ValueError:
            pass
    return secret.encode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(
    secret: str,
    message_id: str,
    timestamp: int,
    body: bytes,
    *,
    previous_secret: str | None = None,
) -> dict[str, str]:
    signatures = [standard_signature(secret, message_id, timestamp, body)]
    if previous_secret:
        signatures.append(standard_signature(previous_secret, message_id, timestamp, body))
    return {
        "content-type": "application/json",
        "user-agent": "vidhost-webhooks/1",
        "x-webhook-signature": x_webhook_signature(secret, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
