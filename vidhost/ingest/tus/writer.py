"""Writing one request's body: the lease that bounds it, the lock renewal, the stream into
the store's writer (checksum and length checked as bytes arrive)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import anyio.to_thread

from vidhost.core.upload_checksum import Checksum
from vidhost.core.upload_errors import ChecksumMismatch, ExceedsLength, UploadLocked
from vidhost.ingest.tus.locks import UploadLocks
from vidhost.ingest.tus.port import Writer

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


@dataclass
class Lease:
    """How long this request may still write: its lock's expiry as this process last set it,
    less a sixth of the TTL for clock skew between servers. Past that, another request may
    take the lock over, so writing stops."""

    ttl: float
    until: float = 0.0
    lost: bool = False

    def __post_init__(self) -> None:
        self.renewed(time.monotonic())

    def renewed(self, started: float) -> None:
        """A renewal that started at ``started`` (monotonic) succeeded."""
        self.until = started + self.ttl - self.ttl / 6

    def holds(self) -> bool:
        return not self.lost and time.monotonic() < self.until

    def check(self) -> None:
        if not self.holds():
            raise UploadLocked("the upload lock was lost or could not be renewed in time")


async def stream(
    writer: Writer,
    body: AsyncIterator[bytes],
    checksum: Checksum | None,
    room: int,
    lease: Lease,
) -> None:
    """Feed ``body`` to ``writer``; a part that is due is stored (in a thread) under a lease
    that still holds, so memory stays bounded by the store's part size."""
    hasher = checksum.hasher() if checksum else None
    async for chunk in body:
        lease.check()
        if writer.written + len(chunk) > room:
            raise ExceedsLength("the request passes the upload length")
        # Chunks are small (the server's read size): writing them to the page cache or a
        # buffer here costs less than a thread hop; durability comes from sync() afterwards.
        if hasher is not None:
            hasher.update(chunk)
        writer.write(chunk)
        if writer.due():
            lease.check()
            await run_in_threadpool(writer.flush)
    if checksum is not None and hasher is not None and not checksum.matches(hasher):
        raise ChecksumMismatch(f"the body does not match its {checksum.algorithm} checksum")


async def keep_lock(locks: UploadLocks, upload_id: str, token: str, lease: Lease) -> None:
    """Renew every third of the TTL; the lease moves on only when a renewal succeeds."""
    while True:
        await asyncio.sleep(locks.ttl / 3)
        started = time.monotonic()
        if not await run_in_threadpool(locks.renew, upload_id, token):
            lease.lost = True
            return
        lease.renewed(started)
