"""Fan-out from the durable event log.

Every domain event is written to the ``events`` table in the same transaction as the change
it describes (see ``VideoRepository``). Each API process tails that table and publishes what
it finds on its in-process bus, so a change made by any process - a worker on another
machine included - reaches every subscriber, in commit order, exactly once per process.
"""

from __future__ import annotations

import logging
import threading

from vidhost.domain.ports import EventBus, VideoRepository

log = logging.getLogger(__name__)


class EventLogTailer:
    def __init__(
        self,
        repo: VideoRepository,
        bus: EventBus,
        *,
        interval: float = 0.02,
        wakeup: threading.Event | None = None,
    ) -> None:
        self.repo = repo
        self.bus = bus
        self.interval = interval
        self.wakeup = wakeup or threading.Event()
        self._stop = threading.Event()
        self._last_id = 0
        self._thread = threading.Thread(target=self._loop, name="vidhost-event-tail", daemon=True)

    def start(self) -> None:
        self._last_id = self.repo.last_event_id()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wakeup.set()
        self._thread.join(timeout=5)

    def poll_once(self) -> int:
        events = self.repo.events_after(self._last_id)
        for event in events:
            assert event.id is not None
            self._last_id = event.id
            self.bus.publish(event)
        return len(events)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once():
                    continue
            except Exception:
                log.exception("event log poll failed")
            self.wakeup.wait(self.interval)
            self.wakeup.clear()
