"""Event log tailing on real PostgreSQL and Redis: out-of-order commits and wake-ups."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, insert

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.tables import events
from vidhost.app.settings import Settings
from vidhost.core.models import DomainEvent, utcnow
from vidhost.notify.events.log_tail import EventLogTailer
from vidhost.notify.events.memory import InMemoryBus
from vidhost.notify.events.wakeup import install_publisher, start_listener
from vidhost.notify.webhooks.formats import WebhookFormats
from vidhost.notify.webhooks.outbox import CURSOR, OutboxFiller
from vidhost.notify.webhooks.sql_store import SqlWebhookStore

PG = "postgresql://postgres@127.0.0.1:5432/"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    name = "vidhost_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    engine = make_engine(PG + name)
    migrate(engine)
    yield engine
    engine.dispose()
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _event(video_id: str) -> dict[str, object]:
    data = {"state": "created", "owner": "u"}
    return {"video_id": video_id, "type": "video.state", "data": data, "created_at": utcnow()}


class Seen:
    def __init__(self, bus: InMemoryBus) -> None:
        self.events: list[DomainEvent] = []
        self.arrived = threading.Event()
        bus.subscribe(self._on)

    def _on(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.arrived.set()

    def wait(self, count: int, timeout: float) -> float:
        start = time.monotonic()
        while len(self.events) < count:
            assert time.monotonic() - start < timeout, f"only {len(self.events)} events"
            time.sleep(0.002)
        return time.monotonic() - start


def test_postgres_event_committed_out_of_order_is_not_missed(pg_engine):
    repo = SqlRepository(pg_engine)
    bus = InMemoryBus()
    seen = Seen(bus)
    tailer = EventLogTailer(repo, bus, interval=0.01)
    tailer.start()
    store = SqlWebhookStore(pg_engine)
    filler = OutboxFiller(
        repo, repo, store, base_url="http://x", retry_for=60, formats=WebhookFormats("http://x")
    )
    filler.fill()  # creates the cursor
    try:
        slow = pg_engine.connect()
        slow_tx = slow.begin()
        slow.execute(insert(events).values(**_event("late")))  # takes the lower id, uncommitted
        with pg_engine.begin() as conn:
            conn.execute(insert(events).values(**_event("early")))
        seen.wait(1, timeout=5)
        filler.fill()
        cursor_during_gap = store.cursor(CURSOR)
        slow_tx.commit()
        slow.close()
        seen.wait(2, timeout=5)
        filler.fill()
    finally:
        tailer.stop()
    assert [e.video_id for e in seen.events] == ["early", "late"]
    late_id = seen.events[1].id
    assert late_id is not None and late_id < (seen.events[0].id or 0)
    # The webhook outbox cursor waited below the gap, then moved past both.
    assert cursor_during_gap is not None and cursor_during_gap < late_id
    assert store.cursor(CURSOR) == seen.events[0].id


def _wakeup_latency(settings: Settings, engine: Engine) -> float:
    """Commit one event; how long until the tailer (polling only every 5 s) publishes it."""
    reader, writer = SqlRepository(engine), SqlRepository(engine)
    install_publisher(settings, writer)
    bus = InMemoryBus()
    seen = Seen(bus)
    wakeup = threading.Event()
    tailer = EventLogTailer(reader, bus, interval=5.0, wakeup=wakeup)
    listener = start_listener(settings, engine, wakeup)
    assert listener is not None
    tailer.start()
    try:
        time.sleep(0.5)  # the listener is subscribed and the tailer asleep
        from vidhost.core.models import Video

        writer.add_video(
            Video(id=uuid.uuid4().hex, owner="u"),
            event=DomainEvent("video.state", "v", {"state": "created", "owner": "u"}),
        )
        return seen.wait(1, timeout=3)
    finally:
        tailer.stop()
        listener.stop()


def test_postgres_notify_wakes_the_tailer(pg_engine):
    settings = Settings(events="auto", database_url=str(pg_engine.url))
    assert _wakeup_latency(settings, pg_engine) < 1.0


def test_redis_pubsub_wakes_the_tailer(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    settings = Settings(events="redis", redis_url=REDIS, data_dir=tmp_path)
    try:
        assert _wakeup_latency(settings, engine) < 1.0
    finally:
        engine.dispose()
