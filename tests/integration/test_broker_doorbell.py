"""The embedded broker's doorbell: a consumer waiting on the SQLite transport gets a message
as soon as it is stored, not at its next fallback poll (every 2 s)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from kombu import Connection

from vidhost.events.local_wakeup import Doorbell, LocalPublisher
from vidhost.jobs import sqlite_transport
from vidhost.jobs.sqlite_transport import FALLBACK_POLL, doorbell_dir


def test_doorbell_dir_of_file_and_memory_databases(tmp_path: Path) -> None:
    assert doorbell_dir(f"sqlite:///{tmp_path}/broker.db") == tmp_path / "broker.db.wakeup"
    assert doorbell_dir("sqlite://") is None
    assert doorbell_dir("sqlite:///:memory:") is None


def test_doorbell_rings_and_times_out(tmp_path: Path) -> None:
    bell = Doorbell(tmp_path / "bells")
    try:
        start = time.monotonic()
        assert not bell.wait(0.2)  # registers itself, then nobody rings
        assert time.monotonic() - start >= 0.19
        assert len(list((tmp_path / "bells").iterdir())) == 1
        ring = LocalPublisher(tmp_path / "bells")
        ring()
        ring()
        assert bell.wait(5)
        assert not bell.wait(0.05)  # both datagrams were consumed by the first wait
    finally:
        bell.close()
    assert list((tmp_path / "bells").iterdir()) == []


def test_a_waiting_consumer_gets_each_message_at_once(tmp_path: Path) -> None:
    sqlite_transport.register()
    url = f"{sqlite_transport.ALIAS}+sqlite:///{tmp_path / 'broker.db'}"
    latencies: list[float] = []
    received = threading.Event()
    sent_at: list[float] = []

    with Connection(url) as consumer_conn, Connection(url) as producer_conn:
        queue = consumer_conn.SimpleQueue("doorbell-test")
        stop = threading.Event()

        def consume() -> None:
            while not stop.is_set():
                try:
                    message = queue.get(block=True, timeout=FALLBACK_POLL * 3)
                except queue.Empty:
                    continue
                latencies.append(time.monotonic() - sent_at[-1])
                message.ack()
                received.set()

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        bells = tmp_path / "broker.db.wakeup"
        deadline = time.monotonic() + 10
        while not (bells.exists() and any(bells.iterdir())):
            assert time.monotonic() < deadline, "the consumer never waited on its doorbell"
            time.sleep(0.05)

        producer = producer_conn.SimpleQueue("doorbell-test")
        try:
            for _ in range(4):
                # Land anywhere in the consumer's fallback wait.
                time.sleep(random.uniform(0.2, FALLBACK_POLL))
                received.clear()
                sent_at.append(time.monotonic())
                producer.put({"n": len(sent_at)})
                assert received.wait(FALLBACK_POLL * 2)
        finally:
            stop.set()
            thread.join(FALLBACK_POLL * 4)
            producer.close()
            queue.close()

    assert len(latencies) == 4
    # Without the doorbell each wait would end at the next 2 s poll (0-2 s, ~1 s on average).
    assert max(latencies) < 0.5, latencies
