"""The content-aware ladder's decision, once per title (ADR 0046).

One chunk task measures the title (``prober_chunk``: the second chunk's, which starts beside
the first chunk's start rungs at the background nice, so ``ready`` does not wait for it; at
nice 0 once the video is ready, as the whole ladder waits for it): a
few short samples at the top rung's own size, at two CRFs (under the top rung's cap) and at
the fixed ladder's rate
(``vidhost.media.quality_probe``), scored with libvmaf; the CRF comes from
``vidhost.core.quality.decide_title``. The decision is stored with the video
(``quality.json``); every other chunk's background rungs wait for it while that task runs (a
player's request stops the wait: that chunk keeps the default CRF), and measure the title
themselves when it does not run (one worker slot: it is queued behind them) or ended without
a decision. A failed probe stores the default CRF, so nobody waits for it twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus
from vidhost.core.ports import Storage, TaskStore
from vidhost.core.quality import (
    PROBE_CRFS,
    RungEncoding,
    TierSettings,
    TitleDecision,
    capped_encoding,
    decide_title,
    fixed_encoding,
    rung_cap,
    title_encoding,
)
from vidhost.core.scheduling import BACKGROUND_NICE
from vidhost.core.segments import SegmentPlan
from vidhost.media.errors import INTERRUPTIONS, MediaError
from vidhost.media.process import renice
from vidhost.media.quality_probe import measure_probes, title_samples
from vidhost.media.sandbox import task_limits

log = logging.getLogger(__name__)

DECISION_WAIT = 300.0
"""The most a chunk's background rungs wait for the title's decision (the probe runs at the
background nice: on a busy machine it may take a while); then the default CRF."""
POLL = 0.2


def prober_chunk(plan: SegmentPlan) -> int:
    """The chunk whose task measures the title: the second (it starts while the first one's
    start rungs encode), the first if there is only one."""
    return 1 if len(plan.chunks) > 1 else 0


def rung_encodings(
    plan: SegmentPlan, crf: float, decision: TitleDecision | None = None
) -> dict[str, RungEncoding]:
    """Every rung at ``crf``: the top under its cap, the others under the fixed peak (or, as
    ``decision`` says, at the fixed ladder's rate: ``title_encoding``)."""
    under, boost = (decision.under_served, decision.boost) if decision else (False, True)
    return {
        r.name: title_encoding(r.video_bitrate, crf, top=i == 0, under_served=under, boost=boost)
        for i, r in enumerate(plan.renditions)
    }


def load_decision(storage: Storage, video_id: str, plan: SegmentPlan) -> TitleDecision | None:
    """The stored decision for this plan's source, if any."""
    try:
        raw = json.loads(storage.get_bytes(layout.quality_decision_key(video_id)))
        decision = TitleDecision.from_dict(raw)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        log.warning("the quality decision of %s is unreadable; measured again", video_id)
        return None
    return decision if decision.source_key == plan.source_key else None


def measure_title(
    ffmpeg: str,
    source: list[str],
    tmp: Path,
    plan: SegmentPlan,
    quality: TierSettings,
    *,
    preset: str,
    timeout: float,
    on_tick: Callable[[], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> TitleDecision:
    """Probe the title and decide its CRF (the default one when the probe fails)."""
    top = plan.renditions[0]
    try:
        probes, fixed = measure_probes(
            ffmpeg,
            source,
            tmp,
            samples=title_samples(plan.duration),
            width=top.width,
            height=top.height,
            crfs=PROBE_CRFS,
            preset=preset,
            fixed=fixed_encoding(top.video_bitrate),
            cap=capped_encoding(top.video_bitrate, quality.default_crf),
            limits=task_limits(timeout, nice=BACKGROUND_NICE),
            on_tick=on_tick,
            on_start=on_start,
        )
    except MediaError as exc:
        if exc.code in INTERRUPTIONS:
            raise
        log.warning("the quality probe of %s failed: %s", plan.source_key, exc)
        return TitleDecision(plan.source_key, quality.default_crf, quality.target_vmaf)
    return decide_title(
        plan.source_key, probes, fixed, quality.target_vmaf, cap=rung_cap(top.video_bitrate)
    )


class RaiseWhenReady:
    """The probe runs at the background nice until the video is ready (the start goes
    first), then at nice 0: every chunk's background rungs wait for it. ``ready`` is asked
    at most every ``every`` s, from ``tick`` (the probe's ``on_tick``)."""

    def __init__(self, ready: Callable[[], bool], every: float = 0.5) -> None:
        self.ready, self.every = ready, every
        self.pids: list[int] = []
        self.raised = False
        self._asked = 0.0

    def started(self, pid: int) -> None:
        self.pids.append(pid)
        if self.raised:
            renice(pid, 0)

    def tick(self) -> None:
        now = time.monotonic()
        if self.raised or now - self._asked < self.every:
            return
        self._asked = now
        if self.ready():
            self.raised = True
            for pid in self.pids:
                renice(pid, 0)


def wait_decision(
    storage: Storage,
    tasks: TaskStore,
    video_id: str,
    plan: SegmentPlan,
    *,
    on_tick: Callable[[], None],
    wait: float = DECISION_WAIT,
) -> TitleDecision | None:
    """The decision the prober chunk's task stores; None when that task is not running
    without one, or after ``wait`` s. ``on_tick`` runs each poll: what it raises ends the
    wait."""
    deadline = time.monotonic() + wait
    while True:
        decision = load_decision(storage, video_id, plan)
        if decision is not None:
            return decision
        row = tasks.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=prober_chunk(plan))
        alive = row is not None and row.status is TaskStatus.PROCESSING
        if not alive or time.monotonic() >= deadline:
            return load_decision(storage, video_id, plan)
        on_tick()
        time.sleep(POLL)


def describe(decision: TitleDecision) -> str:
    probes = ", ".join(f"crf {p.crf:g} vmaf {p.vmaf:.1f}" for p in decision.probes)
    fixed = f", fixed rate vmaf {decision.fixed.vmaf:.1f}" if decision.fixed else ""
    boost = "" if decision.boost else " (under-served, no boost: the fixed encoding)"
    crf = f"crf {decision.crf:g} for vmaf {decision.target:g}"
    return f"{probes or 'not measured'}{fixed}: {crf}{boost}"


def store_decision(storage: Storage, video_id: str, decision: TitleDecision) -> None:
    storage.put_bytes(
        layout.quality_decision_key(video_id),
        json.dumps(decision.to_dict()).encode(),
        content_type="application/json",
    )
