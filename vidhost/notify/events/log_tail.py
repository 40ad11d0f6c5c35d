"""Fan-out from the durable event log.

Every domain event is written to the ``events`` table in the same transaction as the change
it describes (see ``EventLog``). Each API process tails that table and publishes what
it finds on its in-process bus, so a change made by any process - a worker on another
machine included - reaches every subscriber exactly once per process.

The tailer polls every ``interval`` seconds; a wake-up (Redis pub/sub or PostgreSQL
LISTEN/NOTIFY, see ``vidhost.notify.events.wakeup``) sets ``wakeup`` so it reads at once.

Ids may become visible out of order: on PostgreSQL a transaction that took id 7 can commit
after the one that took id 8. An id skipped over is remembered as a *gap* and looked up
again on every poll for ``gap_grace`` seconds (a rolled-back insert leaves a gap that never
fills, so gaps expire). See docs/adr/0031-event-wakeups-and-gaps.md.
"""

from __future__ import annotations

import logging
import threading
import time

from vidhost.core.models import DomainEvent
from vidhost.core.ports import EventBus, EventLog

log = logging.getLogger(__name__)

MAX_TRACKED_GAPS = 10_000


class EventLogTailer:
    def __init__(
        self,
        events: EventLog,
        bus: EventBus,
        *,
        interval: float = 0.02,
        wakeup: threading.Event | None = None,
        gap_grace: float = 10.0,
    ) -> None:
        self.events = events
        self.bus = bus
        self.interval = interval
        self.wakeup = wakeup or threading.Event()
        self.gap_grace = gap_grace
        self._stop = threading.Event()
        self._last_id = 0
        self._gaps: dict[int, float] = {}
        self._thread = threading.Thread(target=self._loop, name="vidhost-event-tail", daemon=True)

    def start(self) -> None:
        self._last_id = self.events.last_event_id()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wakeup.set()
        self._thread.join(timeout=5)

    def poll_once(self) -> int:
        published = self._fill_gaps()
        events = self.events.events_after(self._last_id)
        now = time.monotonic()
        for event in events:
            assert event.id is not None
            if event.id > self._last_id + 1 and len(self._gaps) < MAX_TRACKED_GAPS:
                for missing in range(self._last_id + 1, event.id):
                    self._gaps.setdefault(missing, now)
            self._last_id = event.id
            self._publish(event)
        return published + len(events)

    def _fill_gaps(self) -> int:
        if not self._gaps:
            return 0
        late = self.events.events_with_ids(sorted(self._gaps))
        for event in late:
            assert event.id is not None
            self._gaps.pop(event.id, None)
            log.debug("event %s committed out of order; published late", event.id)
            self._publish(event)
        expired = time.monotonic() - self.gap_grace
        for missing in [i for i, seen in self._gaps.items() if seen < expired]:
            del self._gaps[missing]
        return len(late)

    def _publish(self, event: DomainEvent) -> None:
        self.bus.publish(event)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once():
                    continue
            except Exception:
                log.exception("event log poll failed")
            self.wakeup.wait(self.interval)
            self.wakeup.clear()
