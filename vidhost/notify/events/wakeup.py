"""Cross-process wake-ups for the event log tailer (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).

A wake-up carries no event: it only tells every API process "the event log has grown, read
it now". The log stays the single source of what happened and in which order, so a lost
wake-up costs at most one poll interval and never an event.

- ``postgres``: ``SqlRepository`` runs ``NOTIFY vidhost_events`` in the transaction that
  writes an event; PostgreSQL delivers it at commit to every ``LISTEN``ing connection.
- ``local`` (embedded profile): loopback UDP datagrams between the processes that share the
  data dir (``vidhost.notify.events.local_wakeup``).
- ``redis``: every process that writes events publishes on ``vidhost:events`` after commit
  (hook installed by ``install_publisher``); API processes subscribe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine

from vidhost.adapters.db.rows import NOTIFY_CHANNEL, SqlStore
from vidhost.app.settings import Settings
from vidhost.notify.events.local_wakeup import LocalListener, LocalPublisher, registry

log = logging.getLogger(__name__)

REDIS_CHANNEL = "vidhost:events"


class Wakeup(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def mode(settings: Settings, engine: Engine) -> str:
    """``poll``, ``local``, ``redis`` or ``postgres``: what ``settings.events`` means here."""
    if settings.events == "auto":
        return "postgres" if engine.dialect.name == "postgresql" else "local"
    if settings.events == "redis" and not settings.redis_url:
        raise ValueError("VIDHOST_EVENTS=redis needs VIDHOST_REDIS_URL")
    if settings.events == "postgres" and engine.dialect.name != "postgresql":
        raise ValueError("VIDHOST_EVENTS=postgres needs a PostgreSQL VIDHOST_DATABASE_URL")
    return settings.events


def install_publisher(settings: Settings, writer: SqlStore) -> None:
    """In every process that writes events (through ``writer``, the SQL event log or a store
    that shares its hooks): publish a wake-up after each commit."""
    chosen = mode(settings, writer.engine)
    if chosen == "local":
        writer.after_event_commit.append(LocalPublisher(registry(settings.data_dir)))
    if chosen != "redis":
        return
    import redis

    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=1.0)

    def publish() -> None:
        client.publish(REDIS_CHANNEL, b"1")

    writer.after_event_commit.append(publish)


def start_listener(settings: Settings, engine: Engine, wakeup: threading.Event) -> Wakeup | None:
    """In an API process: a thread that sets ``wakeup`` whenever another process commits."""
    chosen = mode(settings, engine)
    listener: _ListenerThread | LocalListener
    if chosen == "local":
        listener = LocalListener(registry(settings.data_dir), wakeup)
    elif chosen == "redis":
        assert settings.redis_url is not None
        listener = _ListenerThread(_redis_loop(settings.redis_url), wakeup)
    elif chosen == "postgres":
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        listener = _ListenerThread(_postgres_loop(url), wakeup)
    else:
        return None
    listener.start()
    log.info("event wake-ups: %s", chosen)
    return listener


Loop = Callable[[threading.Event, threading.Event], None]
"""``loop(wakeup, stop)``: wait for notifications, set ``wakeup``; return when ``stop`` is set."""


class _ListenerThread:
    def __init__(self, loop: Loop, wakeup: threading.Event) -> None:
        self._loop = loop
        self._wakeup = wakeup
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vidhost-wakeup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop(self._wakeup, self._stop)
            except Exception as exc:  # the tailer keeps polling meanwhile
                log.warning("event wake-up listener failed (%s); reconnecting", exc)
                self._stop.wait(1.0)


def _redis_loop(url: str) -> Loop:
    def loop(wakeup: threading.Event, stop: threading.Event) -> None:
        import redis

        client = redis.Redis.from_url(url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call, unused-ignore]
        try:
            pubsub.subscribe(REDIS_CHANNEL)
            while not stop.is_set():
                if pubsub.get_message(timeout=0.5) is not None:
                    wakeup.set()
        finally:
            pubsub.close()
            client.close()

    return loop


def _postgres_loop(url: str) -> Loop:
    def loop(wakeup: threading.Event, stop: threading.Event) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            while not stop.is_set():
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    wakeup.set()

    return loop
