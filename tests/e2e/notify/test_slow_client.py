"""A client that stops reading is cut off (1013) without delaying the other sockets."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

import pytest
import websockets

from tests.realtime import other_process, recv_json, ws_url
from vidhost.core.lifecycle import TaskKind, TaskStatus

pytestmark = pytest.mark.e2e

MESSAGES = 400
ERROR_TEXT = "x" * 40_000  # big messages fill the socket buffers quickly


def _stalled_websocket(port: int, path: str) -> socket.socket:
    """A raw WebSocket handshake on a socket with a tiny receive buffer that is never read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def test_stalled_client_is_closed_1013_and_others_get_everything(server_factory):
    server = server_factory({"VIDHOST_AUTH": "none", "VIDHOST_WS_QUEUE_SIZE": "128"})
    other = other_process(server)
    try:
        video = other.videos.create_pending(owner="anonymous", client_id="busy")
        other.repo.ensure_task(video.id, TaskKind.TRANSCODE)
        stalled = _stalled_websocket(server.port, "/ws/busy")

        async def scenario() -> float:
            async with websockets.connect(ws_url(server, "/ws/busy"), max_size=None) as fast:
                assert (await recv_json(fast))["type"] == "connection"
                while (await recv_json(fast))["status"] != "pending":  # replay of the task row
                    pass

                def produce() -> None:
                    for i in range(MESSAGES):
                        time.sleep(0.005)  # ~8 MB/s: a reading client keeps up easily
                        other.videos.report_task(
                            video.id,
                            TaskKind.TRANSCODE,
                            TaskStatus.PROCESSING,
                            i * 100 / MESSAGES,
                            error=ERROR_TEXT,
                        )

                started = time.monotonic()
                producer = asyncio.ensure_future(asyncio.to_thread(produce))
                got = 0
                while got < MESSAGES:
                    message = await recv_json(fast, timeout=30)
                    assert message["type"] == "status_update"
                    got += 1
                await producer
                return time.monotonic() - started

        elapsed = asyncio.run(scenario())
        assert elapsed < 60
        # Now read what the stalled client was sent: the stream ends with a close frame 1013.
        stalled.settimeout(10)
        tail = b""
        while True:
            chunk = stalled.recv(1 << 20)
            if not chunk:
                break
            tail = (tail + chunk)[-4096:]
            if b"client too slow" in tail:
                break
        stalled.close()
        assert b"\x03\xf5client too slow" in tail  # close code 1013 + reason
    finally:
        other.close()
