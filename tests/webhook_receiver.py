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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


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
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._answer(headers, body)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}' if status == 200 else b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/webhooks/video-processing"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

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


class Listener:
    """A loopback HTTP server that counts every TCP connection it accepts and answers each
    request with ``status`` and ``headers`` (e.g. a redirect)."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.response_headers = dict(headers or {})
        self.connections = 0
        self.requests: list[dict[str, str]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                listener.requests.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(listener.status)
                for name, value in listener.response_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: object, client_address: object) -> bool:
                listener.connections += 1
                return True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
