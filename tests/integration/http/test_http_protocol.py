"""The uvicorn protocol vidhost serves with (``vidhost.http.protocol``), over real sockets:
bodies arrive whole and in order however they are framed, reading stays flow-controlled, and
the rest of HTTP/1.1 (keep-alive, pipelining, 100-continue, disconnects) still works."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from vidhost.http.protocol import HIGH_WATER_LIMIT, ChunkedCycle, VidhostHttpProtocol

MIB = 1024 * 1024


class BodyApp:
    """Answers with the sha256 and length of the body, and records each message's size."""

    def __init__(self) -> None:
        self.message_sizes: list[int] = []
        self.disconnects = 0
        self.cycle_types: set[str] = set()
        self.slow = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.cycle_types.add(type(getattr(receive, "__self__", None)).__name__)
        digest = hashlib.sha256()
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnects += 1
                return
            body = message.get("body", b"")
            self.message_sizes.append(len(body))
            digest.update(body)
            total += len(body)
            if self.slow:
                await asyncio.sleep(0.002)
            if not message.get("more_body", False):
                break
        payload = f"{digest.hexdigest()} {total}".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture
def served() -> Iterator[tuple[str, BodyApp]]:
    app = BodyApp()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=VidhostHttpProtocol, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)


def expected(data: bytes) -> str:
    return f"{hashlib.sha256(data).hexdigest()} {len(data)}"


def test_content_length_body_arrives_whole(served: tuple[str, BodyApp]) -> None:
    url, app = served
    data = os.urandom(8 * MIB + 12345)

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(data), 100_003):  # odd sizes: frames never line up with reads
            yield data[i : i + 100_003]

    r = httpx.post(url, content=pieces(), headers={"Content-Length": str(len(data))})
    assert r.text == expected(data)
    assert app.cycle_types == {ChunkedCycle.__name__}


def test_chunked_body_and_empty_body(served: tuple[str, BodyApp]) -> None:
    url, _ = served
    data = os.urandom(3 * MIB + 7)

    def pieces() -> Iterator[bytes]:  # no Content-Length: sent with chunked encoding
        for i in range(0, len(data), 65_537):
            yield data[i : i + 65_537]

    assert httpx.post(url, content=pieces()).text == expected(data)
    assert httpx.post(url, content=b"").text == expected(b"")


def test_reading_stays_flow_controlled(served: tuple[str, BodyApp]) -> None:
    """A slow app gets bounded messages: the protocol pauses the socket, not buffers it."""
    url, app = served
    app.slow = True
    data = os.urandom(16 * MIB)
    r = httpx.post(url, content=data, timeout=60)
    assert r.text == expected(data)
    # A message holds what arrived while reading was allowed: at most one socket read
    # (uvloop reads up to 256 KiB) past the high-water mark.
    assert max(app.message_sizes) <= HIGH_WATER_LIMIT + 256 * 1024


def test_keep_alive_pipelining_and_100_continue(served: tuple[str, BodyApp]) -> None:
    url, _ = served
    port = int(url.rsplit(":", 1)[1])
    bodies = [os.urandom(n) for n in (10, 300_000, 0, 1_000_000)]
    with socket.create_connection(("127.0.0.1", port)) as s:
        # Pipelined: every request is written before any answer is read.
        wire = b"".join(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b)
            for b in bodies
        )
        s.sendall(wire)
        answers = read_responses(s, len(bodies))
        assert answers == [expected(b).encode() for b in bodies]
        # Expect: 100-continue on the same connection: the interim answer, then the result.
        body = os.urandom(5000)
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
        )
        assert s.recv(64).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        assert read_responses(s, 1) == [expected(body).encode()]


def test_client_going_away_mid_body_is_a_disconnect(served: tuple[str, BodyApp]) -> None:
    url, app = served
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
        s.sendall(os.urandom(500_000))
    deadline = time.monotonic() + 5
    while app.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app.disconnects == 1
    # The server is still fine.
    assert httpx.post(url, content=b"ok").text == expected(b"ok")


def read_responses(s: socket.socket, count: int) -> list[bytes]:
    """Bodies of ``count`` responses (each with a Content-Length) read off ``s``."""
    buf = b""
    bodies: list[bytes] = []
    while len(bodies) < count:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            assert chunk, "connection closed early"
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(buf) < length:
            buf += s.recv(65536)
        bodies.append(buf[:length])
        buf = buf[length:]
    return bodies
