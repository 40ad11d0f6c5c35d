"""SQL persistence of upload records (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from vidhost.adapters.db.tables import uploads
from vidhost.core.models import utcnow
from vidhost.core.upload_models import Concat, Upload


def upload_from_row(row: RowMapping) -> Upload:
    return Upload(
        id=row["id"],
        owner=row["owner"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        length=row["length"],
        offset=row["upload_offset"],
        video_id=row["video_id"],
        concat=Concat(row["concat"]) if row["concat"] else None,
        parts=list(row["parts"] or []),
        metadata=dict(row["meta"] or {}),
        finished_at=row["finished_at"],
        store=row.get("store_state"),
    )


def _unlocked(now: datetime) -> Any:
    return or_(uploads.c.lock_owner.is_(None), uploads.c.lock_expires_at < now)


class UploadRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, upload: Upload) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(uploads).values(
                    id=upload.id,
                    owner=upload.owner,
                    video_id=upload.video_id,
                    length=upload.length,
                    upload_offset=upload.offset,
                    concat=upload.concat.value if upload.concat else None,
                    parts=upload.parts,
                    meta=upload.metadata,
                    created_at=upload.created_at,
                    updated_at=upload.created_at,
                    expires_at=upload.expires_at,
                    finished_at=upload.finished_at,
                    store_state=upload.store,
                )
            )

    def get(self, upload_id: str) -> Upload | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().first()
        return upload_from_row(row) if row else None

    def update(self, upload_id: str, **values: Any) -> None:
        values["updated_at"] = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(uploads).where(uploads.c.id == upload_id).values(**values))

    def commit_offset(
        self,
        upload_id: str,
        token: str,
        offset: int,
        *,
        length: int | None = None,
        store: dict[str, Any] | None = None,
        release: bool = False,
    ) -> bool:
        """Record ``offset`` (and a now-known length, and the store's state for those bytes)
        if ``token`` still holds the lock; ``release``: give the lock up in the same
        statement."""
        values: dict[str, Any] = {"upload_offset": offset, "updated_at": utcnow()}
        if store is not None:
            values["store_state"] = store
        if length is not None:
            values["length"] = length
        if release:
            values.update(lock_owner=None, lock_expires_at=None)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.lock_owner == token)
                .values(**values)
            )
            return result.rowcount == 1

    def mark_finished(self, upload_id: str) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.finished_at.is_(None))
                .values(finished_at=now, updated_at=now)
            )

    def delete(self, upload_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.id == upload_id))

    def expired(self, now: datetime) -> list[Upload]:
        """Unfinished uploads past their expiry that no request is writing."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(uploads).where(
                    uploads.c.finished_at.is_(None), uploads.c.expires_at < now, _unlocked(now)
                )
            ).mappings()
            return [upload_from_row(r) for r in rows]

    def delete_if_expired(self, upload_id: str, now: datetime) -> bool:
        """Delete only if still unfinished, expired and unlocked (checked in the same DELETE)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(uploads).where(
                    and_(
                        uploads.c.id == upload_id,
                        uploads.c.finished_at.is_(None),
                        uploads.c.expires_at < now,
                        _unlocked(now),
                    )
                )
            )
            return result.rowcount == 1
