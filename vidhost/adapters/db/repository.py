"""SQL implementation of the ``VideoRepository`` port (SQLite and PostgreSQL): the video
store, the task store and the event log, over one engine."""

from __future__ import annotations

from vidhost.adapters.db.event_log import SqlEventLog
from vidhost.adapters.db.rows import NOTIFY_CHANNEL
from vidhost.adapters.db.task_store import SqlTaskStore
from vidhost.adapters.db.video_store import SqlVideoStore

__all__ = ["NOTIFY_CHANNEL", "SqlRepository"]


class SqlRepository(SqlVideoStore, SqlTaskStore, SqlEventLog):
    """Videos, task rows and the event log in one database (one engine, one set of
    after-commit hooks)."""
