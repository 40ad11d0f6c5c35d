"""kombu's SQLAlchemy transport, tuned for the server-less embedded broker.

- The stock transport hands every transport option to ``create_engine``, so
  ``polling_interval`` cannot be set. It also opens SQLite without WAL or a busy timeout, which
  makes the API process (producer) and the worker (consumer) trip over each other's locks.
- An idle consumer would poll the broker table several times a second. Here a producer rings
  a loopback UDP doorbell after each message it stores (registry: ``<broker.db>.wakeup/``),
  and the consumer waits on it. So a message is picked up at once, and an idle worker reads
  the table only every ``polling_interval`` (the fallback, if a datagram is lost).
- The stock transport marks a delivered row invisible and never deletes it: an acked message
  stays in the table for ever, and the message of a consumer killed before its ack is never
  delivered again (ADR 0073). Here each delivered row names its consumer (a per-process
  directory whose ``flock`` the consumer holds for its life, ``process.own_tmp_dir``), an ack
  deletes the row, a requeue makes it visible again in place, and every consumer gives back
  the rows of consumers whose lock is free (dead, however they died) at start and then at
  most every ``RECOVER_EVERY`` seconds. The queue's size counts them as waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as _Channel
from kombu.transport.sqlalchemy import Transport as _Transport
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

from vidhost.adapters.db.engine import sqlite_engine
from vidhost.media.process import own_tmp_dir, owner_alive, sweep_stale_tmp
from vidhost.notify.events.local_wakeup import Doorbell, LocalPublisher

log = logging.getLogger(__name__)

ALIAS = "vidhost-sqla"
FALLBACK_POLL = 2.0
"""Seconds between broker reads of an idle consumer when no doorbell rings."""
RECOVER_EVERY = 1.0
"""Seconds between a consumer's looks for the messages of dead consumers."""
OWNER = "vidhost_owner"
"""Column naming the consumer that holds a delivered, unacknowledged row."""


def doorbell_dir(url: str) -> Path | None:
    """``<broker.db>.wakeup`` for a file database; None for an in-memory one."""
    path = url.removeprefix("sqlite:///")
    if path == url or not path or path == ":memory:":
        return None
    return Path(path).with_name(Path(path).name + ".wakeup")


def consumers_dir(url: str) -> Path:
    """``<broker.db>.consumers``: one locked directory per live consumer process."""
    path = Path(url.removeprefix("sqlite:///"))
    return path.with_name(path.name + ".consumers")


_prepared: set[str] = set()
_prepare_lock = threading.Lock()


class Channel(_Channel):
    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)  # type: ignore[no-untyped-call]
        self._rows: dict[str, int] = {}
        """delivery tag -> row id of the messages this channel holds unacknowledged."""
        self._me: str | None = None
        self._recovered_at = 0.0

    def _engine_from_config(self) -> Any:
        return sqlite_engine(self.connection.client.hostname)

    # --- the owner column and the consumer's identity -----------------------------------

    def _engine(self) -> Any:
        engine = self._open()[0]  # type: ignore[no-untyped-call]
        url = self.connection.client.hostname
        if url not in _prepared:
            with _prepare_lock, engine.begin() as conn:
                table = self.message_cls.__tablename__
                columns = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
                if OWNER not in columns:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {OWNER} TEXT")
                _prepared.add(url)
        return engine

    def _consumer(self) -> str:
        """This process's consumer name (its locked directory), made on first delivery."""
        if self._me is None:
            base = consumers_dir(self.connection.client.hostname)
            sweep_stale_tmp(base)  # the dirs of dead consumers (their rows then count as dead)
            self._me = own_tmp_dir(base).name
        return self._me

    def _dead(self, owners: list[str]) -> list[str]:
        base = consumers_dir(self.connection.client.hostname)
        return [o for o in owners if o != self._me and not owner_alive(base / o)]

    # --- delivery, ack, requeue -----------------------------------------------------------

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        me = self._consumer()
        engine = self._engine()
        queue_id = self._get_or_create(queue).id  # type: ignore[no-untyped-call]
        if time.monotonic() - self._recovered_at >= RECOVER_EVERY:
            self._recover(engine)
        table = self.message_cls.__tablename__
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                f"SELECT id, payload FROM {table} WHERE queue_id = ? AND visible = 1 "
                "ORDER BY timestamp, id LIMIT 1",
                (queue_id,),
            )
            row = cur.fetchone()
            if row is None:
                raw.commit()
                raise Empty()
            cur.execute(f"UPDATE {table} SET visible = 0, {OWNER} = ? WHERE id = ?", (me, row[0]))
            raw.commit()
        finally:
            raw.close()
        payload = loads(bytes_to_str(row[1]))  # type: ignore[no-untyped-call]
        self._rows[payload["properties"]["delivery_tag"]] = row[0]
        return payload

    def _recover(self, engine: Any) -> int:
        """Make the rows of dead consumers visible again (and drop the acked rows older
        versions left invisible, without an owner); the number given back."""
        self._recovered_at = time.monotonic()
        table = self.message_cls.__tablename__
        with engine.begin() as conn:
            owners = [
                r[0]
                for r in conn.exec_driver_sql(
                    f"SELECT DISTINCT {OWNER} FROM {table} WHERE visible = 0 "
                    f"AND {OWNER} IS NOT NULL"
                )
            ]
            back = 0
            for owner in self._dead(owners):
                back += conn.exec_driver_sql(
                    f"UPDATE {table} SET visible = 1, {OWNER} = NULL "
                    f"WHERE visible = 0 AND {OWNER} = ?",
                    (owner,),
                ).rowcount
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE visible = 0 AND {OWNER} IS NULL")
        if back:
            log.warning("gave back %d message(s) of dead consumers", back)
            self.connection.ring()
        return back

    def _forget(self, delivery_tag: Any) -> None:
        row = self._rows.pop(delivery_tag, None)
        if row is not None:
            with self._engine().begin() as conn:
                conn.exec_driver_sql(
                    f"DELETE FROM {self.message_cls.__tablename__} WHERE id = ?", (row,)
                )

    def _restore(self, message: Any) -> None:
        """A requeue (a reject, or a shutdown's unacked messages): the row is visible again
        where it was, instead of a copy at the end with the original left behind."""
        row = self._rows.pop(message.delivery_tag, None)
        if row is None:
            super()._restore(message)  # type: ignore[no-untyped-call]
            return
        with self._engine().begin() as conn:
            conn.exec_driver_sql(
                f"UPDATE {self.message_cls.__tablename__} SET visible = 1, {OWNER} = NULL "
                "WHERE id = ?",
                (row,),
            )
        self.connection.ring()

    def _size(self, queue: Any) -> int:
        """Messages waiting for a consumer: visible ones, and those of dead consumers."""
        engine = self._engine()
        queue_id = self._get_or_create(queue).id  # type: ignore[no-untyped-call]
        table = self.message_cls.__tablename__
        with engine.connect() as conn:
            visible = conn.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE queue_id = ? AND visible = 1", (queue_id,)
            ).scalar()
            held = list(
                conn.exec_driver_sql(
                    f"SELECT {OWNER}, count(*) FROM {table} WHERE queue_id = ? AND visible = 0 "
                    f"AND {OWNER} IS NOT NULL GROUP BY {OWNER}",
                    (queue_id,),
                )
            )
        dead = set(self._dead([r[0] for r in held]))
        return int(visible or 0) + sum(int(n) for owner, n in held if owner in dead)

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super()._put(queue, payload, **kwargs)  # type: ignore[no-untyped-call]
        self.connection.ring()

    def basic_ack(self, delivery_tag: Any, multiple: bool = False) -> None:
        """Delete the row; and an ack frees a prefetch slot: read the table again now, not at
        the fallback poll.

        Without the wake-up, a message stored while every slot was taken (a task dispatching
        its follow-up tasks, a backlog) waited up to ``FALLBACK_POLL`` after the slot freed:
        its doorbell had rung while the consumer could not take it.
        """
        super().basic_ack(delivery_tag, multiple)  # type: ignore[no-untyped-call]
        self._forget(delivery_tag)
        self.connection.wake_consumer()

    def basic_reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue)  # type: ignore[no-untyped-call]
        self._forget(delivery_tag)  # requeued rows were given back by ``_restore`` already
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
