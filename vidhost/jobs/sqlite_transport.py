"""kombu's SQLAlchemy transport, tuned for the server-less embedded broker.

- The stock transport hands every transport option to ``create_engine``, so
  ``polling_interval`` cannot be set. It also opens SQLite without WAL or a busy timeout, which
  makes the API process (producer) and the worker (consumer) trip over each other's locks.
- An idle consumer would poll the broker table several times a second. Here a producer rings
  a loopback UDP doorbell after each message it stores (registry: ``<broker.db>.wakeup/``),
  and the consumer waits on it. So a message is picked up at once, and an idle worker reads
  the table only every ``polling_interval`` (the fallback, if a datagram is lost).
"""

from __future__ import annotations

import time
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as _Channel
from kombu.transport.sqlalchemy import Transport as _Transport

from vidhost.db.engine import sqlite_engine
from vidhost.events.local_wakeup import Doorbell, LocalPublisher

ALIAS = "vidhost-sqla"
FALLBACK_POLL = 2.0
"""Seconds between broker reads of an idle consumer when no doorbell rings."""


def doorbell_dir(url: str) -> Path | None:
    """``<broker.db>.wakeup`` for a file database; None for an in-memory one."""
    path = url.removeprefix("sqlite:///")
    if path == url or not path or path == ":memory:":
        return None
    return Path(path).with_name(Path(path).name + ".wakeup")


class Channel(_Channel):
    def _engine_from_config(self) -> Any:
        return sqlite_engine(self.connection.client.hostname)

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super()._put(queue, payload, **kwargs)  # type: ignore[no-untyped-call]
        self.connection.ring()

    def basic_ack(self, delivery_tag: Any, multiple: bool = False) -> None:
        """An ack frees a prefetch slot: read the table again now, not at the fallback poll.

        Without this, a message stored while every slot was taken (a task dispatching its
        follow-up tasks, a backlog) waited up to ``FALLBACK_POLL`` after the slot freed: its
        doorbell had rung while the consumer could not take it.
        """
        super().basic_ack(delivery_tag, multiple)  # type: ignore[no-untyped-call]
        self.connection.wake_consumer()

    def basic_reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue)  # type: ignore[no-untyped-call]
        self.connection.wake_consumer()


class Transport(_Transport):
    Channel = Channel
    polling_interval = FALLBACK_POLL

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)  # type: ignore[no-untyped-call]
        directory = doorbell_dir(client.hostname or "")
        self._publisher = LocalPublisher(directory) if directory else None
        self._doorbell = Doorbell(directory) if directory else None

    def ring(self) -> None:
        if self._publisher is not None:
            self._publisher()

    def wake_consumer(self) -> None:
        """Wake this process's consumer, if it is one (its doorbell is open)."""
        if self._doorbell is not None:
            self._doorbell.ring_self()

    def drain_events(self, connection: Any, timeout: Any = None) -> None:  # type: ignore[override]
        """kombu's loop, except that between empty reads it waits for the doorbell."""
        cycle = self.cycle
        assert cycle is not None
        start = time.monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)  # type: ignore[no-untyped-call]
                return
            except Empty:
                if timeout is not None and time.monotonic() - start >= timeout:
                    raise TimeoutError() from None
                if self._doorbell is not None:
                    self._doorbell.wait(interval)
                elif interval is not None:
                    time.sleep(interval)


def register() -> None:
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
