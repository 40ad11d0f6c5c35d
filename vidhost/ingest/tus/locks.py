"""A per-upload write lock kept in the database, so it holds across server processes.

Acquired with one conditional ``UPDATE`` (free, or expired); renewed while a request writes;
released in ``finally``. A lock whose holder died is taken over once it expires, or at once
when the holder was a process of this kernel and PID namespace that has ended. The holder is
named by its process's random instance id (ADR 0071), never by hostname + PID.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.engine import RowMapping

from vidhost.adapters.db.tables import uploads
from vidhost.core.models import utcnow
from vidhost.media.process import ended, instance_id, liveness_tag


def new_token() -> str:
    """``<instance id>:<liveness tag>:<random>``. The process's random instance id names the
    holder, so containers sharing a hostname or a PID never take each other for it; the
    liveness tag lets a process on the same kernel and PID namespace see that it died."""
    return f"{instance_id()}:{liveness_tag()}:{uuid.uuid4().hex[:16]}"


def _holder_dead(token: str) -> bool:
    """True when ``token``'s process is known to have ended (else its lock must expire)."""
    parts = token.split(":")
    return len(parts) == 3 and ended(parts[1])


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
