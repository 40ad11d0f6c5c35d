"""The embedded broker's doorbell: a consumer waiting on the SQLite transport gets a message
as soon as it is stored, not at its next fallback poll (every 2 s)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from kombu import Connection

from vidhost.notify.events.local_wakeup import Doorbell, LocalPublisher
from vidhost.processing.broker import sqlite_transport
from vidhost.processing.broker.sqlite_transport import FALLBACK_POLL, doorbell_dir


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


def test_a_freed_prefetch_slot_is_filled_at_once(tmp_path: Path) -> None:
    """A message stored while the consumer's prefetch slots are all taken (a task that
    dispatches its follow-up tasks, a backlog) is taken as soon as an ack frees a slot, not
    at the next fallback poll: the doorbell rang while the consumer could not take it."""
    sqlite_transport.register()
    url = f"{sqlite_transport.ALIAS}+sqlite:///{tmp_path / 'broker.db'}"
    with Connection(url) as consumer_conn, Connection(url) as producer_conn:
        queue = consumer_conn.SimpleQueue("prefetch-test")
        queue.consumer.qos(prefetch_count=1)
        producer = producer_conn.SimpleQueue("prefetch-test")
        try:
            producer.put({"n": 1})
            first = queue.get(block=True, timeout=FALLBACK_POLL * 3)  # the only slot: taken
            got: list[float] = []

            def take_second() -> None:
                message = queue.get(block=True, timeout=FALLBACK_POLL * 4)
                got.append(time.monotonic())
                message.ack()

            thread = threading.Thread(target=take_second, daemon=True)
            thread.start()
            time.sleep(0.3)  # the consumer waits, its slot full
            producer.put({"n": 2})  # rings while the consumer cannot take it
            time.sleep(0.5)
            assert not got
            acked_at = time.monotonic()
            first.ack()  # frees the slot
            thread.join(FALLBACK_POLL * 5)
            assert got, "the second message never arrived"
            # Without the wake-up on ack this took until the next 2 s poll.
            assert got[0] - acked_at < 0.5, got[0] - acked_at
        finally:
            producer.close()
            queue.close()
