"""The progressive transcode's scheduling policy (ADRs 0061, 0062, 0064), as pure rules:
which part of a video's ladder a worker takes, when a running part yields its worker, stops
for a player's rung or goes on, and whether a failed part runs again. No I/O: the adapters
and the processing code hand these rules what they read.

- **Takeover** (``claimable``): a pending part, or one whose holder stopped beating.
- **Priority** (``claim_order``): the parts a player asked for, latest request first; then
  those after the latest requested part (ahead of the playhead); then the rest, by index.
- **Stop or go on** (``restart_pays``): a background pass over several rungs stops for the
  rung a player asks for when that rung alone ends sooner than the rest of the pass.
- **Yield** (``waits_for_worker``): a part encoding rungs nobody waits for gives its worker
  back to another part a player has waited ``YIELD_AFTER`` s for, unclaimed.
- **Retry or fail** (``retries``): a failed part runs once more, unless the failure is one
  another attempt cannot change; failing again fails the video.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vidhost.core.lifecycle import TaskStatus

PART_ATTEMPTS = 2
"""A part that fails this many times fails the video (a crash, a bad worker: not the video)."""
NO_RETRY = frozenset({"video_deleted", "source_changed", "no_plan", "no_chunk"})
"""Failures that another attempt cannot change."""
BACKGROUND_NICE = 19
"""Nice value of work nobody waits for yet (later chunks, the rest of the audio): a viewer's
start and requests take the cores. The lowest priority: a chunk has many encoder threads,
and the scheduler weighs each thread."""
YIELD_AFTER = 0.5
"""Seconds a part a player asked for may wait unclaimed before a part encoding rungs nobody
waits for gives its worker back."""
RESTART_MARGIN = 1.2
"""A pass a player asks one rung of stops for it when the rest of the pass costs more than
this many times that rung alone (a fresh decode and ffmpeg's start make up the margin)."""


@dataclass(frozen=True)
class PartRow:
    """What the rules read of one part's task row."""

    part: int
    status: TaskStatus
    heartbeat_at: datetime | None = None
    requested_at: datetime | None = None
    requested_rendition: str | None = None


def retries(attempts: int, code: str) -> bool:
    """Does a part that failed with ``code`` after ``attempts`` runs run once more?"""
    return attempts < PART_ATTEMPTS and code not in NO_RETRY


def claimable(row: PartRow, stale_before: datetime) -> bool:
    """Pending, or processing with a heartbeat older than ``stale_before`` (its holder is
    gone: the part is taken over)."""
    if row.status is TaskStatus.PENDING:
        return True
    stale = row.heartbeat_at is None or row.heartbeat_at < stale_before
    return row.status is TaskStatus.PROCESSING and stale


def claim_order(rows: Sequence[PartRow], stale_before: datetime) -> list[int]:
    """The claimable parts, most wanted first: the ones a player asked for (latest request
    first), then those after the latest requested part, then the rest, by index."""
    requested = [r for r in rows if r.requested_at is not None]
    latest = max(requested, key=lambda r: r.requested_at or 0).part if requested else -1

    def rank(r: PartRow) -> tuple[int, float, int]:
        if r.requested_at is not None:
            return (0, -r.requested_at.timestamp(), r.part)
        return (1 if r.part > latest else 2, 0.0, r.part)

    return [r.part for r in sorted((r for r in rows if claimable(r, stale_before)), key=rank)]


def pass_cost(sizes: Iterable[tuple[int, int]]) -> int:
    """An encoding pass's cost, in pixels per frame of its rungs (x264's time grows with
    them); ``sizes``: each rung's width and height."""
    return sum(width * height for width, height in sizes)


def restart_pays(
    done: float, pass_sizes: Sequence[tuple[int, int]], asked: tuple[int, int]
) -> bool:
    """Should a pass over ``pass_sizes``, ``done`` (0-1) of the way through, stop so that the
    ``asked`` rung is encoded alone first? Only when it has other rungs and the rest of it
    costs more than ``RESTART_MARGIN`` times that rung alone."""
    if len(pass_sizes) < 2:
        return False
    return (1 - done) * pass_cost(pass_sizes) > RESTART_MARGIN * pass_cost([asked])


def waits_for_worker(row: PartRow, now: datetime, *, stored: Callable[[str], bool]) -> bool:
    """Has a player waited ``YIELD_AFTER`` s for this part, with no worker at it?
    ``stored(rung)``: is the rung the request named stored already (nobody waits any more)?
    Asked only of a part that otherwise waits (it may cost a storage look)."""
    return (
        row.status is TaskStatus.PENDING
        and row.requested_at is not None
        and row.requested_at < now - timedelta(seconds=YIELD_AFTER)
        and not (row.requested_rendition is not None and stored(row.requested_rendition))
    )
