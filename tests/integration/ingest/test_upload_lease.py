"""A tus write whose lock is taken over (it expired while the writer could not renew it)
stops writing, and its clean-up never truncates the bytes of the request that took over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.integration.helpers import container
from vidhost.adapters.db.tables import uploads
from vidhost.core.upload_errors import UploadLocked
from vidhost.core.upload_models import Concat


def test_a_writer_that_lost_its_lock_leaves_the_new_holders_bytes(tmp_path: Path) -> None:
    with container(tmp_path / "data", upload_lock_seconds=0.6) as c:
        service = c.uploads
        upload = service.create(owner="u", length=4096, metadata={}, concat=Concat.PARTIAL)
        first_chunk_written = asyncio.Event()
        taken_over = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield b"a" * 1000
            first_chunk_written.set()
            await taken_over.wait()
            yield b"a" * 1000

        def take_over() -> None:
            """What a second server does once the lock has expired: lock, write, commit."""
            with c.engine.begin() as conn:
                conn.execute(
                    update(uploads).where(uploads.c.id == upload.id).values(lock_owner="other")
                )
            handle = service.data.open_append(upload.id, 0)  # drops A's uncommitted bytes
            handle.write(b"b" * 500)
            handle.sync()
            handle.close()
            assert service.repo.commit_offset(upload.id, "other", 500, release=True)

        async def scenario() -> None:
            writer = asyncio.create_task(service.write(upload.id, "u", offset=0, body=slow_body()))
            await first_chunk_written.wait()
            await asyncio.to_thread(take_over)
            await asyncio.sleep(0.5)  # A's next renewal fails (and its lease runs out)
            taken_over.set()
            with pytest.raises(UploadLocked):
                await writer

        asyncio.run(scenario())

        data = service.data.path(upload.id).read_bytes()
        assert data == b"b" * 500
        got = service.repo.get(upload.id)
        assert got is not None and got.offset == 500


def test_a_failed_write_that_still_holds_its_lock_is_rolled_back(tmp_path: Path) -> None:
    with container(tmp_path / "data") as c:
        service = c.uploads
        upload = service.create(owner="u", length=4096, metadata={}, concat=Concat.PARTIAL)

        async def too_long() -> AsyncIterator[bytes]:
            yield b"a" * 3000
            yield b"a" * 3000  # passes the declared length: the request fails

        async def scenario() -> None:
            with pytest.raises(Exception, match="length"):
                await service.write(upload.id, "u", offset=0, body=too_long())

        asyncio.run(scenario())
        assert service.data.path(upload.id).read_bytes() == b""
        got = service.repo.get(upload.id)
        assert got is not None and got.offset == 0
        # And the lock was released: the next write goes through.
        assert service.locks.acquire(upload.id) is not None
