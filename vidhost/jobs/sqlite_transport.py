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

from vidhost.db.engine import sqlite_engine

ALIAS = "vidhost-sqla"


class Channel(_Channel):
    def _engine_from_config(self) -> Any:
        return sqlite_engine(self.connection.client.hostname)


class Transport(_Transport):
    Channel = Channel


def register() -> None:
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
