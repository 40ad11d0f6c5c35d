"""uvicorn's httptools protocol with a request body path that does not copy.

uvicorn (since 0.42) gathers request body bytes in a ``bytearray`` and hands each ASGI
``receive()`` a ``bytes(...)`` copy of it: two extra copies of every uploaded byte plus a
fresh buffer per message. For uploads that is most of the server's work: a bare ASGI app that
only writes the body to tmpfs tops out near 570 MB/s over loopback. Keeping the chunks the
parser gives us in a list and handing them on as they are (joined only when several arrived
between two ``receive()`` calls) lifts that to ~1.2 GB/s (ADR 0013).

Flow control is unchanged: reading pauses past uvicorn's 64 KiB high-water mark, so memory
per request stays bounded. Everything else (headers, keep-alive, pipelining, responses) is
uvicorn's own code.

The request line and headers are bounded too (httptools has no limit of its own, so a 64 MiB
header used to be gathered in memory): more than ``HEADER_BYTES`` in total or more than
``HEADER_COUNT`` header lines get a JSON ``431 request_header_too_large`` and the connection
is closed. Headers still arriving are counted as they come, so a header that never ends is
refused after at most ``HEADER_BYTES`` plus one read.
"""

from __future__ import annotations

import json
from typing import Any, cast

from uvicorn.protocols.http import flow_control, httptools_impl

from vidhost.core.limits import HEADER_BYTES, HEADER_COUNT

HIGH_WATER_LIMIT = flow_control.HIGH_WATER_LIMIT
HEADER_TOO_LARGE_BODY = json.dumps(
    {
        "error": f"request headers exceed {HEADER_BYTES} bytes or {HEADER_COUNT} lines",
        "code": "request_header_too_large",
    }
).encode()


class HeaderTooLarge(Exception):
    """Raised from a parser callback; httptools turns it into an ``HttpParserError``."""


class ChunkedCycle(httptools_impl.RequestResponseCycle):
    """A request/response cycle whose body is a list of the parser's chunks."""

    chunks: list[bytes]
    buffered: int

    def take_body(self) -> bytes:
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        self.buffered = 0
        return body

    async def receive(self) -> Any:
        if self.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        if not self.disconnected and not self.response_complete:
            self.flow.resume_reading()
            await self.message_event.wait()
            self.message_event.clear()
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": self.take_body(), "more_body": self.more_body}


class VidhostHttpProtocol(httptools_impl.HttpToolsProtocol):
    """``uvicorn.run(..., http=VidhostHttpProtocol)``."""

    max_header_bytes = HEADER_BYTES
    max_header_count = HEADER_COUNT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._head_bytes = 0  # bytes received while the head is incomplete (an estimate)
        self._head_size = 0  # exact: url + header names and values
        self._head_count = 0
        self._head_refused = False

    # --- the header limit ---------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._head_refused:
            return
        in_head_before = self._in_head
        super().data_received(data)
        if in_head_before and self._in_head and not self._head_refused:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = self._head_size = self._head_count = 0

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        if self._head_size > self.max_header_bytes:
            self._head_refused = True
            raise HeaderTooLarge
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        self._head_count += 1
        if self._head_size > self.max_header_bytes or self._head_count > self.max_header_count:
            self._head_refused = True
            raise HeaderTooLarge
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if self._head_refused:  # the parser error came from HeaderTooLarge
            self._send_431()
        else:
            super().send_400_response(msg)

    def _refuse_head(self) -> None:
        self._head_refused = True
        self._send_431()

    def _send_431(self) -> None:
        content = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(HEADER_TOO_LARGE_BODY)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                HEADER_TOO_LARGE_BODY,
            ]
        )
        self.logger.warning("Request headers too large: refused with 431.")
        self.transport.write(b"".join(content))
        self.transport.close()

    # --- the body path --------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._in_head = False
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle is not before:
            # A new request: same object, body kept as chunks (its task has not run yet).
            cycle.__class__ = ChunkedCycle
            assert isinstance(cycle, ChunkedCycle)
            cycle.chunks = []
            cycle.buffered = 0

    def on_body(self, body: bytes) -> None:
        # Every request's cycle became a ChunkedCycle in on_headers_complete.
        cycle = cast(ChunkedCycle, self.cycle)
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        cycle.chunks.append(body)
        cycle.buffered += len(body)
        if cycle.buffered > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()
