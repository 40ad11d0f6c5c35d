"""A daemon thread that calls a function every ``interval`` seconds until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self, name: str, fn: Callable[[], object], *, interval: float, immediately: bool = False
    ) -> None:
        self.name = name
        self.fn = fn
        self.interval = interval
        self.immediately = immediately
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        if not self.immediately and self._stop.wait(self.interval):
            return
        while not self._stop.is_set():
            try:
                self.fn()
            except Exception:
                log.exception("%s failed", self.name)
            self._stop.wait(self.interval)
