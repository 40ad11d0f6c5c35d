"""Periodic cleanup: sweepers find what to remove; each removal is logged with a reason code.

A sweeper is a callable ``(now, dry_run) -> list[Removal]``. Features register theirs in
``Container.sweepers`` (see ``vidhost.app.wiring``); ``vidhost cleanup`` and the periodic thread
in ``serve`` run them all. A sweeper must never remove an upload in progress or a ready
video: it re-checks its condition in the same conditional update that removes the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from vidhost.core.models import utcnow
from vidhost.processing.periodic import Periodic

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


class CleanupLoop(Periodic):
    def __init__(self, sweepers: Sequence[Sweeper], *, interval: float) -> None:
        super().__init__("vidhost-cleanup", lambda: run_sweepers(sweepers), interval=interval)
