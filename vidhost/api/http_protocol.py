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
"""

from __future__ import annotations

from typing import Any, cast

from uvicorn.protocols.http import flow_control, httptools_impl

HIGH_WATER_LIMIT = flow_control.HIGH_WATER_LIMIT


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

    def on_headers_complete(self) -> None:
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
