"""The per-upload write lock and offset commit against real SQLite and real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine, select

from vidhost.adapters.db.tables import uploads
from vidhost.core.models import utcnow
from vidhost.core.upload_models import Upload
from vidhost.ingest.tus.locks import UploadLocks
from vidhost.ingest.tus.repository import UploadRepository, upload_from_row


def _upload(engine: Engine, upload_id: str = "a" * 32, owner: str = "alice") -> Upload:
    now = utcnow()
    upload = Upload(
        id=upload_id,
        owner=owner,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        length=100,
        metadata={"filename": "a.mp4"},
    )
    UploadRepository(engine).add(upload)
    return upload


def _lock_columns(engine: Engine, upload_id: str) -> tuple[str | None, object]:
    with engine.connect() as conn:
        row = conn.execute(
            select(uploads.c.lock_owner, uploads.c.lock_expires_at).where(uploads.c.id == upload_id)
        ).one()
    return row[0], row[1]


def test_acquire_own_locks_and_reads_in_one_statement(engine: Engine) -> None:
    upload = _upload(engine)
    locks = UploadLocks(engine, ttl=30)
    got = locks.acquire_own(upload.id, "alice")
    assert got is not None
    token, row = got
    read = upload_from_row(row)
    assert (read.id, read.owner, read.length, read.offset) == (upload.id, "alice", 100, 0)
    assert read.metadata == {"filename": "a.mp4"}
    assert _lock_columns(engine, upload.id)[0] == token
    # Locked now: neither the fast path nor the general one gets it.
    assert locks.acquire_own(upload.id, "alice") is None
    assert locks.acquire(upload.id) is None
    locks.release(upload.id, token)
    assert _lock_columns(engine, upload.id) == (None, None)


def test_acquire_own_refuses_other_owners_and_unknown_ids(engine: Engine) -> None:
    upload = _upload(engine)
    locks = UploadLocks(engine, ttl=30)
    assert locks.acquire_own(upload.id, "mallory") is None
    assert locks.acquire_own("b" * 32, "alice") is None
    assert _lock_columns(engine, upload.id) == (None, None)


def test_an_expired_lock_is_taken_over(engine: Engine) -> None:
    upload = _upload(engine)
    stale = UploadLocks(engine, ttl=0.2).acquire_own(upload.id, "alice")
    assert stale is not None
    time.sleep(0.3)
    fresh = UploadLocks(engine, ttl=30).acquire_own(upload.id, "alice")
    assert fresh is not None and fresh[0] != stale[0]
    # The stale holder can no longer commit.
    repo = UploadRepository(engine)
    assert not repo.commit_offset(upload.id, stale[0], 50, release=True)
    assert repo.commit_offset(upload.id, fresh[0], 50, release=True)
    got = repo.get(upload.id)
    assert got is not None and got.offset == 50
    assert _lock_columns(engine, upload.id) == (None, None)


def test_commit_without_release_keeps_the_lock(engine: Engine) -> None:
    upload = _upload(engine)
    locks = UploadLocks(engine, ttl=30)
    got = locks.acquire_own(upload.id, "alice")
    assert got is not None
    repo = UploadRepository(engine)
    assert repo.commit_offset(upload.id, got[0], 100, length=100)
    assert _lock_columns(engine, upload.id)[0] == got[0]
    locks.release(upload.id, got[0])


def test_concurrent_acquirers_have_one_winner(engine: Engine) -> None:
    upload = _upload(engine)
    locks = UploadLocks(engine, ttl=30)
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def race() -> None:
        barrier.wait()
        results.append(locks.acquire_own(upload.id, "alice") is not None)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
