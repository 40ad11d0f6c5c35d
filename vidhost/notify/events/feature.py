"""The event feed of an API process: the tailer of the durable event log, woken up by the
other processes' commits (loopback UDP, PostgreSQL NOTIFY or Redis, ADR 0031)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.notify.events.log_tail import EventLogTailer
from vidhost.notify.events.wakeup import Wakeup, start_listener


class EventFeed:
    """The wake-up listener and the tailer it wakes, started and stopped as one."""

    def __init__(self, c: Container) -> None:
        self._container = c
        self._wakeup = threading.Event()
        self._tailer = EventLogTailer(
            c.repo, c.bus, interval=c.settings.event_poll_interval, wakeup=self._wakeup
        )
        self._listener: Wakeup | None = None

    def start(self) -> None:
        c = self._container
        self._listener = start_listener(c.settings, c.engine, self._wakeup)
        self._tailer.start()

    def stop(self) -> None:
        self._tailer.stop()
        if self._listener is not None:
            self._listener.stop()


def background(c: Container) -> Sequence[Background]:
    return [EventFeed(c)]


FEATURE = Feature("events", background=background)
