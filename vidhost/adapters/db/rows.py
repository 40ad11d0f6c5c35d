"""The SQL stores' shared ground: row <-> domain mapping, the event insert (and its
PostgreSQL ``NOTIFY``), and the base every store builds on."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    insert,
    text,
)
from sqlalchemy.engine import RowMapping

from vidhost.adapters.db.tables import events, videos
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import DomainEvent, Rendition, Task, Video

NOTIFY_CHANNEL = "vidhost_events"
"""PostgreSQL: every event insert also ``NOTIFY``s this channel (delivered at commit)."""

# Domain field name -> column name where they differ.
_COLUMN = {"metadata": "meta"}
_FIELD = {v: k for k, v in _COLUMN.items()}


def _video_values(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "renditions":
            value = [asdict(r) if isinstance(r, Rendition) else r for r in value]
        elif isinstance(value, VideoState):
            value = value.value
        values[_COLUMN.get(name, name)] = value
    return values


def _video(row: RowMapping) -> Video:
    data = {_FIELD.get(k, k): v for k, v in row.items()}
    data["state"] = VideoState(data["state"])
    data["renditions"] = [Rendition(**r) for r in data.get("renditions") or []]
    data["tags"] = list(data.get("tags") or [])
    data["metadata"] = dict(data.get("metadata") or {})
    data["options"] = dict(data.get("options") or {})
    return Video(**data)


_CLIENT_FIELDS = {"meta", "options", "renditions", "tags", "description", "title", "source_probe"}
_LEAN_VIDEO = [c for c in videos.c if c.name not in _CLIENT_FIELDS]
"""Every column but the client-supplied (and potentially large) ones, and the probe."""


def _task(row: RowMapping) -> Task:
    data = dict(row)
    data.pop("dispatched_at", None)
    data.pop("dispatches", None)
    data.pop("holder", None)
    data["kind"] = TaskKind(data["kind"])
    data["status"] = TaskStatus(data["status"])
    return Task(**data)


def _event(row: RowMapping) -> DomainEvent:
    return DomainEvent(
        id=row["id"],
        type=row["type"],
        video_id=row["video_id"],
        data=dict(row["data"]),
        at=row["created_at"],
    )


def _emit(conn: Connection, event: DomainEvent) -> None:
    conn.execute(
        insert(events).values(
            video_id=event.video_id, type=event.type, data=event.data, created_at=event.at
        )
    )
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


class SqlStore:
    """An engine, and the hooks called after each commit that wrote an event."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.after_event_commit: list[Callable[[], None]] = []
        """Called after each commit that wrote an event (e.g. a Redis wake-up publish)."""

    def _committed_event(self) -> None:
        for hook in self.after_event_commit:
            with contextlib.suppress(Exception):  # a wake-up only saves a poll interval
                hook()
