"""Periodic cleanup: sweepers find what to remove; each removal is logged with a reason code.

A sweeper is a callable ``(now, dry_run) -> list[Removal]``. Features register theirs in
``Container.sweepers`` (see ``vidhost.wiring``); ``vidhost cleanup`` and the periodic thread
in ``serve`` run them all. A sweeper must never remove an upload in progress or a ready
video: it re-checks its condition in the same conditional update that removes the record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from vidhost.domain.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removal:
    kind: str
    """What was removed: ``video``, ``upload``, ``object``, ``multipart_upload`` ..."""
    id: str
    reason: str
    """Stable reason code, e.g. ``abandoned_record``, ``expired_upload``, ``orphaned_object``."""


Sweeper = Callable[[datetime, bool], list[Removal]]


def run_sweepers(sweepers: Sequence[Sweeper], *, dry_run: bool = False) -> list[Removal]:
    now = utcnow()
    removed: list[Removal] = []
    for sweeper in sweepers:
        try:
            found = sweeper(now, dry_run)
        except Exception:
            log.exception("cleanup sweeper %r failed", sweeper)
            continue
        for removal in found:
            log.info(
                "cleanup %s %s %s reason=%s",
                "would remove" if dry_run else "removed",
                removal.kind,
                removal.id,
                removal.reason,
            )
        removed.extend(found)
    return removed


class CleanupLoop:
    def __init__(self, sweepers: Sequence[Sweeper], *, interval: float) -> None:
        self.sweepers = sweepers
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vidhost-cleanup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            run_sweepers(self.sweepers)
