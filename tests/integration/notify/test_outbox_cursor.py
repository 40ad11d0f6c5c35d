"""The webhook outbox cursor: created by the first API process, moved forward only."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from vidhost.notify.webhooks.sql_store import SqlWebhookStore


def test_processes_starting_at_once_create_the_cursor_once(engine: Engine) -> None:
    """Every API process sets the cursor when it starts on a fresh database; eight at once
    (a barrier, each with its own store) all succeed and leave one row at the highest."""
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def process(n: int) -> None:
        store = SqlWebhookStore(engine)
        start.wait()
        try:
            store.set_cursor("outbox", n % 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=process, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    store = SqlWebhookStore(engine)
    assert store.cursor("outbox") == 2
    store.set_cursor("outbox", 1)  # never back
    assert store.cursor("outbox") == 2
    store.set_cursor("outbox", 7)
    assert store.cursor("outbox") == 7
