"""The embedded broker gives back the messages of a consumer killed before its ack (ADR 0073),
deletes acked messages, and counts a dead consumer's messages as waiting."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kombu import Connection

from vidhost.processing.broker import sqlite_transport

CONSUMER = """
import sys, time
from kombu import Connection
from vidhost.processing.broker import sqlite_transport
sqlite_transport.register()
with Connection(sys.argv[1]) as conn:
    queue = conn.SimpleQueue("redelivery")
    message = queue.get(block=True, timeout=30)
    print(message.payload["n"], flush=True)
    time.sleep(120)  # killed before it acks
"""


def _rows(db: Path) -> list[tuple[int, str | None]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT visible, vidhost_owner FROM kombu_message"))


def test_a_killed_consumers_message_comes_back_and_acks_delete(tmp_path: Path) -> None:
    sqlite_transport.register()
    db = tmp_path / "broker.db"
    url = f"{sqlite_transport.ALIAS}+sqlite:///{db}"
    with Connection(url) as conn:
        queue = conn.SimpleQueue("redelivery")
        queue.put({"n": 1})
        child = subprocess.Popen(
            [sys.executable, "-c", CONSUMER, url],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "1"  # delivered, not acked
        assert [v for v, _ in _rows(db)] == [0]
        assert queue.qsize() == 0  # held by a live consumer: not waiting
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert queue.qsize() == 1  # its holder is dead: it waits for a consumer again
        start = time.monotonic()
        message = queue.get(block=True, timeout=10)
        assert message.payload == {"n": 1}
        assert time.monotonic() - start < 5
        message.ack()
        assert _rows(db) == []  # an ack deletes the row (the stock transport kept it)
        # A requeue puts the row back in place, not a copy at the end.
        queue.put({"n": 2})
        queue.put({"n": 3})
        first = queue.get(block=True, timeout=5)
        assert first.payload == {"n": 2}
        first.requeue()
        assert len(_rows(db)) == 2
        again = queue.get(block=True, timeout=5)
        assert again.payload == {"n": 2}
        again.ack()
        queue.get(block=True, timeout=5).ack()
        assert _rows(db) == []
        queue.close()
