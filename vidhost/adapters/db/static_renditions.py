"""SQL persistence of static renditions (``core.static_renditions``, ADR 0065).

Status changes write their ``static_rendition`` event in the same transaction (the event log
is the one way webhooks hear of them), then call the repository's after-commit hooks (the
wake-ups), which this store shares."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from vidhost.adapters.db.rows import SqlStore, _emit
from vidhost.adapters.db.tables import static_renditions as table
from vidhost.core.models import utcnow
from vidhost.core.static_renditions import (
    PREPARING,
    SKIPPED,
    StaticRendition,
    changed_event,
)

_FIELDS = {f.name for f in fields(StaticRendition)}


def _record(row: RowMapping) -> StaticRendition:
    return StaticRendition(**{k: v for k, v in row.items() if k in _FIELDS})


class SqlStaticRenditionStore(SqlStore):
    def __init__(self, base: SqlStore) -> None:
        super().__init__(base.engine)
        self.after_event_commit = base.after_event_commit  # the repository's wake-ups

    def add(self, rendition: StaticRendition) -> StaticRendition:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values(**asdict(rendition)))
            return rendition
        except IntegrityError:  # the video has one by that name already
            existing = self._by_name(rendition.video_id, rendition.name)
            assert existing is not None
            return existing

    def _by_name(self, video_id: str, name: str) -> StaticRendition | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(table).where(table.c.video_id == video_id, table.c.name == name)
                )
                .mappings()
                .first()
            )
        return _record(row) if row else None

    def of_video(self, video_id: str) -> list[StaticRendition]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table).where(table.c.video_id == video_id).order_by(table.c.created_at)
            ).mappings()
            return [_record(r) for r in rows]

    def resolve(self, rendition_id: str, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == rendition_id)
                .values(**values, updated_at=utcnow())
            )

    def skip(self, rendition: StaticRendition, *, owner: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(table)
                .where(table.c.id == rendition.id, table.c.status == PREPARING)
                .values(status=SKIPPED, updated_at=utcnow())
            )
            if done.rowcount == 1:
                rendition.status = SKIPPED
                _emit(conn, changed_event(owner, rendition, self._all_done(conn, rendition)))
        self._committed_event()

    def finish(
        self,
        video_id: str,
        rung: str,
        status: str,
        *,
        owner: str,
        size_bytes: int | None = None,
        error_code: str | None = None,
        error: str | None = None,
    ) -> list[StaticRendition]:
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        values |= {"size_bytes": size_bytes, "error_code": error_code, "error": error}
        where = (table.c.video_id == video_id, table.c.rung == rung, table.c.status == PREPARING)
        with self.engine.begin() as conn:
            rows = [_record(r) for r in conn.execute(select(table).where(*where)).mappings()]
            conn.execute(update(table).where(*where).values(**values))
            for record in rows:
                for key, value in values.items():
                    setattr(record, key, value)
            for record in rows:
                _emit(conn, changed_event(owner, record, self._all_done(conn, record)))
        if rows:
            self._committed_event()
        return rows

    def _all_done(self, conn: Connection, record: StaticRendition) -> bool:
        """No other record of the video is preparing (read in the writing transaction)."""
        left = conn.execute(
            select(table.c.id).where(
                table.c.video_id == record.video_id, table.c.status == PREPARING
            )
        ).first()
        return left is None

    def delete(self, video_id: str, rendition_id: str) -> StaticRendition | None:
        with self.engine.begin() as conn:
            row = (
                conn.execute(
                    select(table).where(table.c.video_id == video_id, table.c.id == rendition_id)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            conn.execute(delete(table).where(table.c.id == rendition_id))
        return _record(row)
