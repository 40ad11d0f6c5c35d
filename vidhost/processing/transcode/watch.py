"""A background part's watch: a player's request stops it for its rung, raises it to nice
0, or (another part waiting for a worker) makes it give its worker back (ADR 0064)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vidhost.core.ports import TaskStore
from vidhost.core.scheduling import restart_pays
from vidhost.core.segments import PlannedRendition
from vidhost.media.process import renice
from vidhost.processing.runner import TaskContext, TaskYields

log = logging.getLogger(__name__)


@dataclass
class Watch:
    """A part running at ``BACKGROUND_NICE`` while nobody waits for it, watched for a request
    that comes in after ``since`` (None: any request); looked up at the part's progress
    reports, at most every ``every`` seconds (ADR 0064). On such a request for one of
    ``rungs`` (a chunk pass) whose encoding alone ends sooner than the rest of the pass, the
    pass stops (``Asked``): that rung goes first. Otherwise the pass is raised to nice 0:
    a reader now waits for it."""

    tasks: TaskStore
    ctx: TaskContext
    since: datetime | None = None
    rungs: Sequence[PlannedRendition] = ()
    yields: Callable[[], bool] | None = None
    """Stop the pass (``TaskYields``) when this says another part waits for a worker."""
    every: float = 0.2
    pids: list[int] = field(default_factory=list)
    done: bool = False
    looked: float = 0.0

    def check(self, fraction: float = 0.0) -> None:
        """``fraction``: how much of the pass is done."""
        now = time.monotonic()
        if self.done or now - self.looked < self.every:
            return
        self.looked = now
        row = self.tasks.get_task(self.ctx.video.id, self.ctx.kind, part=self.ctx.part)
        asked = row.requested_at if row is not None else None
        if row is None or asked is None or (self.since is not None and asked <= self.since):
            # nobody asked for this part since it started: it may give its worker away
            if self.yields is not None and self.yields():
                raise TaskYields
            return
        self.done = True
        ctx = self.ctx
        rung = next((r for r in self.rungs if r.name == row.requested_rendition), None)
        sizes = [(r.width, r.height) for r in self.rungs]
        if rung is not None and restart_pays(fraction, sizes, (rung.width, rung.height)):
            raise Asked(rung.name, asked)
        log.info("%s %s of %s: a reader waits, nice 0", ctx.kind, ctx.part, ctx.video.id)
        for pid in self.pids:
            renice(pid, 0)


class Asked(Exception):
    """A player asked for a rung of the pass that is running: it stops, that rung goes next."""

    def __init__(self, rung: str, at: datetime) -> None:
        super().__init__(rung)
        self.rung = rung
        self.at = at
