"""The event log, in SQL: appended with the writes that cause the events, read by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    func,
    select,
)

from vidhost.adapters.db.rows import SqlStore, _emit, _event
from vidhost.adapters.db.tables import events
from vidhost.core.models import DomainEvent


class SqlEventLog(SqlStore):
    """The append-only event log."""

    # --- events -----------------------------------------------------------------------------

    def add_event(self, event: DomainEvent) -> None:
        with self.engine.begin() as conn:
            _emit(conn, event)
        self._committed_event()

    def events_after(self, event_id: int, *, limit: int = 500) -> list[DomainEvent]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.id > event_id).order_by(events.c.id).limit(limit)
            ).mappings()
            return [_event(r) for r in rows]

    def events_with_ids(self, ids: Sequence[int]) -> list[DomainEvent]:
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.id.in_(list(ids))).order_by(events.c.id)
            ).mappings()
            return [_event(r) for r in rows]

    def last_event_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)
