"""Loopback HTTP servers for the tests (not a test module): the one helper every test that
needs a server of its own uses (issue 20).

- :class:`Server`: a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) serving in a daemon
  thread from construction until :meth:`Server.close` (or the end of a ``with``); it counts
  every TCP connection it accepts.
- :func:`static_files`: a :class:`Server` of a directory (player pages, a clip to pull),
  quiet, with ``Access-Control-Allow-Origin: *`` when ``cors``.
- :class:`Listener`: a :class:`Server` that records every request (:class:`Request`) and
  answers each with ``status`` and ``headers`` (e.g. a redirect), or with what ``answer``
  returns. Webhook targets and receivers, and the listener hostile media must never reach.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseRequestHandler
from typing import Any, Self


class _CountingServer(ThreadingHTTPServer):
    connections = 0

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1  # one accept loop: no lock needed
        return True


class Server:
    def __init__(self, handler: Callable[..., BaseRequestHandler]) -> None:
        self._server = _CountingServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        return self._server.connections

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Files(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _CorsFiles(_Files):
    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def static_files(directory: Path, *, cors: bool = False) -> Server:
    """Serve ``directory`` (GET and HEAD) until closed."""
    return Server(functools.partial(_CorsFiles if cors else _Files, directory=str(directory)))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    """Names lower-cased."""
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], bytes]
"""Status, headers, body."""


class Listener(Server):
    """Records every request and answers it with ``status`` and ``headers`` (an empty body),
    or with ``answer(request)``. ``url`` is the server's address and ``path``."""

    def __init__(
        self,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        path: str = "",
        answer: Callable[[Request], Answer] | None = None,
    ) -> None:
        self.status = status
        self.response_headers = dict(headers or {})
        self.path = path
        self.answer = answer
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer_headers, answer_body = listener._answer(
                    Request(self.command, self.path, headers, body)
                )
                self.send_response(status)
                for name, value in answer_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer_body)))
                self.end_headers()
                self.wfile.write(answer_body)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def _answer(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
        if self.answer is not None:
            return self.answer(request)
        return self.status, self.response_headers, b""

    def wait(self, count: int = 1, timeout: float = 60.0) -> list[Request]:
        """The requests, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            time.sleep(0.05)
        assert len(self.requests) >= count, self.requests
        return list(self.requests)
