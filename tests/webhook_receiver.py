"""A webhook receiver on loopback that checks signatures the way seed 002 does.

``verify_webhook_signature`` is seed 002's ``verifyWebhookSignature`` ported line by line;
Standard Webhooks headers are checked with the ``standardwebhooks`` library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.http_server import Answer, Listener, Request


def verify_webhook_signature(body: str, signature: str | None, secret: str | None) -> bool:
    """Seed 002: ``sha256=`` + hex HMAC-SHA256(process.env.WEBHOOK_SECRET, body)."""
    if not signature:
        return False
    if not secret:
        return False
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return signature == f"sha256={expected}"


def standard_webhook(secret: str) -> Webhook:
    return Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    status: int
    seed002_ok: bool
    standard_ok: bool
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class Receiver:
    """Answers 500 to the first request of every ``webhook-id`` (``fail_first``), or to every
    request while ``down``; 200 otherwise."""

    def __init__(self, secret: str, *, fail_first: bool = True) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.down = False
        self.requests: list[Received] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._listener = Listener(path="/api/webhooks/video-processing", answer=self._reply)

    @property
    def url(self) -> str:
        return self._listener.url

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def _reply(self, request: Request) -> Answer:
        status = self._answer(request.headers, request.text)
        body = b'{"received": true}' if status == 200 else b"{}"
        return status, {"content-type": "application/json"}, body

    def _answer(self, headers: dict[str, str], body: str) -> int:
        seed002_ok = verify_webhook_signature(body, headers.get("x-webhook-signature"), self.secret)
        try:
            standard_webhook(self.secret).verify(body, headers)
            standard_ok = True
        except Exception:
            standard_ok = False
        with self._lock:
            message_id = headers.get("webhook-id", "")
            if not (seed002_ok and standard_ok):
                status = 401
            elif self.down or (self.fail_first and message_id not in self._seen):
                status = 500
            else:
                status = 200
            self._seen.add(message_id)
            self.requests.append(
                Received(headers, body, status, seed002_ok, standard_ok, time.time())
            )
        return status

    def delivered(self, event_type: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.status == 200 and (event_type is None or r.event["type"] == event_type)
            ]

    def wait_for(self, event_type: str, timeout: float = 60.0, count: int = 1) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.delivered(event_type)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"{event_type} not delivered; got {[r.event['type'] for r in self.requests]}"
        )
