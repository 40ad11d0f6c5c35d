"""A per-upload write lock kept in the database, so it holds across server processes.

Acquired with one conditional ``UPDATE`` (free, or expired); renewed while a request writes;
released in ``finally``. A lock whose holder died is taken over once it expires, or at once
when the holder was a process on this host that no longer exists.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.engine import RowMapping

from vidhost.db.tables import uploads
from vidhost.domain.models import utcnow

HOST = socket.gethostname()[:60]


def new_token() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex}"


def _holder_dead(token: str) -> bool:
    """True when ``token`` names a process on this host that no longer runs."""
    rest = token.split(":")
    if len(rest) != 3 or rest[0] != HOST:
        return False
    try:
        pid = int(rest[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class UploadLocks:
    def __init__(self, engine: Engine, *, ttl: float) -> None:
        self.engine = engine
        self.ttl = ttl

    def acquire(self, upload_id: str) -> str | None:
        """A token if this caller now holds the lock; None if someone else does."""
        token = new_token()
        now = utcnow()
        values = {"lock_owner": token, "lock_expires_at": now + timedelta(seconds=self.ttl)}
        with self.engine.begin() as conn:
            result = conn.execute(
                update(uploads)
                .where(
                    uploads.c.id == upload_id,
                    or_(uploads.c.lock_owner.is_(None), uploads.c.lock_expires_at < now),
                )
                .values(**values)
            )
            if result.rowcount == 1:
                return token
            holder = conn.execute(
                select(uploads.c.lock_owner).where(uploads.c.id == upload_id)
            ).scalar()
            if holder is None or not _holder_dead(holder):
                return None
            result = conn.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.lock_owner == holder)
                .values(**values)
            )
            return token if result.rowcount == 1 else None

    def acquire_own(self, upload_id: str, owner: str) -> tuple[str, RowMapping] | None:
        """Fast path: lock a free upload of ``owner`` and read its row, in one statement.

        None when the upload is unknown, someone else's, or locked: ``acquire`` (after the
        caller has told those apart) handles a lock whose holder died.
        """
        token = new_token()
        now = utcnow()
        with self.engine.begin() as conn:
            row = (
                conn.execute(
                    update(uploads)
                    .where(
                        uploads.c.id == upload_id,
                        uploads.c.owner == owner,
                        or_(uploads.c.lock_owner.is_(None), uploads.c.lock_expires_at < now),
                    )
                    .values(lock_owner=token, lock_expires_at=now + timedelta(seconds=self.ttl))
                    .returning(*uploads.c)
                )
                .mappings()
                .first()
            )
        return (token, row) if row is not None else None

    def renew(self, upload_id: str, token: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.lock_owner == token)
                .values(lock_expires_at=utcnow() + timedelta(seconds=self.ttl))
            )
            return result.rowcount == 1

    def release(self, upload_id: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.lock_owner == token)
                .values(lock_owner=None, lock_expires_at=None)
            )
