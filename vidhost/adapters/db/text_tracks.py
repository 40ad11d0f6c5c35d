"""SQL persistence of text tracks (``core.text_tracks``, ADR 0068).

Every write emits its ``text_track`` event in the same transaction (the event log is the one
way webhooks hear of tracks), then calls the repository's after-commit hooks (the wake-ups),
which this store shares."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping

from vidhost.adapters.db.rows import SqlStore, _emit
from vidhost.adapters.db.tables import text_tracks as table
from vidhost.core.models import utcnow
from vidhost.core.text_tracks import CREATED, DELETED, PREPARING, TextTrack, changed_event

_FIELDS = {f.name for f in fields(TextTrack)}
_READ = [c for c in table.c if c.name in _FIELDS]
"""Every column but ``words`` (a track's whole text: only the search reads it)."""


def _record(row: RowMapping) -> TextTrack:
    return TextTrack(**{k: v for k, v in row.items() if k in _FIELDS})


class SqlTextTrackStore(SqlStore):
    def __init__(self, base: SqlStore) -> None:
        super().__init__(base.engine)
        self.after_event_commit = base.after_event_commit  # the repository's wake-ups

    def add(self, track: TextTrack, *, owner: str, words: str | None = None) -> TextTrack:
        with self.engine.begin() as conn:
            conn.execute(insert(table).values(**asdict(track), words=words))
            _emit(conn, changed_event(owner, track, CREATED))
            if track.status != PREPARING:
                _emit(conn, changed_event(owner, track, track.status))
        self._committed_event()
        return track

    def get(self, video_id: str, track_id: str) -> TextTrack | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(*_READ).where(table.c.video_id == video_id, table.c.id == track_id)
                )
                .mappings()
                .first()
            )
        return _record(row) if row else None

    def of_video(self, video_id: str) -> list[TextTrack]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_READ)
                .where(table.c.video_id == video_id)
                .order_by(table.c.created_at, table.c.id)
            ).mappings()
            return [_record(r) for r in rows]

    def finish(self, track: TextTrack, *, owner: str, **values: object) -> TextTrack | None:
        changes: dict[str, Any] = {**values, "updated_at": utcnow()}
        with self.engine.begin() as conn:
            done = conn.execute(
                update(table)
                .where(table.c.id == track.id, table.c.status == PREPARING)
                .values(**changes)
            )
            if done.rowcount != 1:
                return None
            merged = {**asdict(track), **changes}
            finished = TextTrack(**{k: v for k, v in merged.items() if k in _FIELDS})
            _emit(conn, changed_event(owner, finished, finished.status))
        self._committed_event()
        return finished

    def delete(self, video_id: str, track_id: str, *, owner: str) -> TextTrack | None:
        with self.engine.begin() as conn:
            row = (
                conn.execute(
                    select(*_READ).where(table.c.video_id == video_id, table.c.id == track_id)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            gone = conn.execute(delete(table).where(table.c.id == track_id))
            if gone.rowcount != 1:
                return None
            record = _record(row)
            _emit(conn, changed_event(owner, record, DELETED))
        self._committed_event()
        return record
