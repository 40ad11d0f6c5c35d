"""The progressive transcode's scheduling policy (``vidhost.core.scheduling``), rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vidhost.core.lifecycle import TaskStatus
from vidhost.core.scheduling import (
    YIELD_AFTER,
    PartRow,
    claim_order,
    claimable,
    restart_pays,
    retries,
    waits_for_worker,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
STALE = NOW - timedelta(seconds=30)
P, W = TaskStatus.PENDING, TaskStatus.PROCESSING
R1080, R720, R480, R360, R240 = (1920, 1080), (1280, 720), (854, 480), (640, 360), (426, 240)
LADDER = [R1080, R720, R480, R360, R240]


def nothing_stored(rung: str) -> bool:
    return False


def only_720p_stored(rung: str) -> bool:
    return rung == "720p"


def _at(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_a_part_is_claimable_when_pending_or_its_holder_stopped_beating() -> None:
    assert claimable(PartRow(0, P), STALE)
    assert claimable(PartRow(0, W, heartbeat_at=_at(60)), STALE)  # taken over
    assert claimable(PartRow(0, W, heartbeat_at=None), STALE)
    assert not claimable(PartRow(0, W, heartbeat_at=_at(1)), STALE)  # its holder beats
    assert not claimable(PartRow(0, TaskStatus.COMPLETED), STALE)
    assert not claimable(PartRow(0, TaskStatus.FAILED), STALE)


def test_claim_order_asked_latest_first_then_ahead_of_the_playhead_then_the_rest() -> None:
    rows = [
        PartRow(0, TaskStatus.COMPLETED),
        PartRow(1, P),
        PartRow(2, P),
        PartRow(3, P, requested_at=_at(5)),  # an older request
        PartRow(4, P),
        PartRow(5, P, requested_at=_at(1)),  # the latest request
        PartRow(6, W, heartbeat_at=_at(1)),  # at work: not claimable
        PartRow(7, P),
        PartRow(8, W, heartbeat_at=_at(60)),  # its holder is gone
    ]
    assert claim_order(rows, STALE) == [5, 3, 7, 8, 1, 2, 4]
    assert claim_order([PartRow(2, P), PartRow(1, P)], STALE) == [1, 2]  # nobody asked: index


def test_a_pass_stops_for_the_asked_rung_only_when_that_alone_ends_sooner() -> None:
    assert restart_pays(0.1, LADDER, R1080)  # early: 1080p alone beats 90 % of the ladder
    assert not restart_pays(0.6, LADDER, R1080)  # late: the rest is cheaper than 1080p alone
    assert restart_pays(0.6, LADDER, R240)  # a small rung is worth it until late
    assert not restart_pays(0.97, LADDER, R240)
    assert not restart_pays(0.0, [R720], R720)  # a one-rung pass is the asked rung already


def test_a_part_waits_for_a_worker_once_asked_for_a_moment_and_not_stored() -> None:
    asked = PartRow(3, P, requested_at=_at(YIELD_AFTER + 0.1), requested_rendition="720p")
    assert waits_for_worker(asked, NOW, stored=nothing_stored)
    assert not waits_for_worker(asked, NOW, stored=only_720p_stored)  # its rung is there
    just = PartRow(3, P, requested_at=_at(YIELD_AFTER / 2), requested_rendition="720p")
    assert not waits_for_worker(just, NOW, stored=nothing_stored)  # a free worker may take it now
    taken = PartRow(3, W, heartbeat_at=NOW, requested_at=_at(5), requested_rendition="720p")
    assert not waits_for_worker(taken, NOW, stored=nothing_stored)
    assert not waits_for_worker(PartRow(3, P), NOW, stored=nothing_stored)  # nobody asked
    anyrung = PartRow(3, P, requested_at=_at(5))
    assert waits_for_worker(anyrung, NOW, stored=only_720p_stored)  # asked, no rung named


def test_a_failed_part_runs_once_more_unless_another_attempt_cannot_help() -> None:
    assert retries(1, "ffmpeg_failed")
    assert not retries(2, "ffmpeg_failed")  # failing again fails the video
    for code in ("video_deleted", "source_changed", "no_plan", "no_chunk"):
        assert not retries(1, code)
