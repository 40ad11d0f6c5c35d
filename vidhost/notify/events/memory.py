"""In-process event bus: listeners are called synchronously in the publishing thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from vidhost.core.models import DomainEvent
from vidhost.core.ports import EventListener

log = logging.getLogger(__name__)


class InMemoryBus:
    def __init__(self) -> None:
        self._listeners: list[EventListener] = []
        self._lock = threading.Lock()

    def publish(self, event: DomainEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", event.type)

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe
