"""kombu's SQLAlchemy transport, tuned for the server-less embedded broker.

The stock transport hands every transport option to ``create_engine`` (so
``polling_interval`` cannot be set) and opens SQLite without WAL or a busy timeout, which
makes the API process (producer) and the worker (consumer) trip over each other's locks.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as _Channel
from kombu.transport.sqlalchemy import Transport as _Transport
from sqlalchemy import create_engine, event

ALIAS = "vidhost-sqla"


class Channel(_Channel):
    def _engine_from_config(self) -> Any:
        url = self.connection.client.hostname
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine


class Transport(_Transport):
    Channel = Channel


def register() -> None:
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
