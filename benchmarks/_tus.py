"""What the upload benchmarks share: the bytes they send and the tus PATCH loop."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx

MIB = 1024 * 1024
BLOCK = os.urandom(4 * MIB)


def body(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        n = min(len(BLOCK), size - sent)
        yield BLOCK[:n]
        sent += n


def patch_all(c: httpx.Client, url: str, size: int, chunk: int) -> httpx.Response:
    """PATCH ``size`` bytes to the tus upload at ``url``, ``chunk`` per request; the last
    response."""
    offset = 0
    r: httpx.Response | None = None
    while offset < size:
        n = min(chunk, size - offset)
        r = c.patch(
            url,
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(n),
            },
            content=body(n),
        )
        assert r.status_code == 204, r.text
        offset = int(r.headers["upload-offset"])
    assert r is not None, "nothing to send"
    return r
