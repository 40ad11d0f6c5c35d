"""``transcode_chunk``: one chunk's rungs, the asked rung first (ADRs 0061, 0062, 0064)."""

from __future__ import annotations

import functools
import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vidhost.core import layout
from vidhost.core.clips import reused
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import utcnow
from vidhost.core.quality import RungEncoding, TierSettings
from vidhost.core.scheduling import (
    BACKGROUND_NICE,
    PartRow,
    waits_for_worker,
)
from vidhost.core.segments import (
    Chunk,
    PlannedRendition,
    SegmentPlan,
)
from vidhost.media.chunks import ChunkPoster, build_chunk_command
from vidhost.media.errors import MediaError
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.processing.runner import (
    TaskContext,
    TaskYields,
    forget_if_deleted,
)
from vidhost.processing.transcode.config import (
    FIRST_REQUEST_WAIT,
    LIKELY_START_HEIGHT,
    QUALITY_KEY,
    START_WAIT,
)
from vidhost.processing.transcode.decision import (
    RaiseWhenReady,
    describe,
    load_decision,
    measure_title,
    prober_chunk,
    rung_encodings,
    store_decision,
    wait_decision,
)
from vidhost.processing.transcode.parts import PartEncoder
from vidhost.processing.transcode.reuse import copy_rungs
from vidhost.processing.transcode.sources import load_plan
from vidhost.processing.transcode.watch import Asked, Watch

log = logging.getLogger(__name__)


class ChunkEncoder(PartEncoder):
    """``transcode_chunk``: every rung of one chunk's segments.

    Every chunk but the first decodes its range once for every rung, and runs
    ``BACKGROUND_NICE`` below the work a viewer waits for; one a player asked for encodes the
    asked rung alone first, at nice 0, then the others in the background (ADR 0064).
    The first chunk is the start of the video (ADR 0062): its start rung (the lowest, with
    the rung players most often start on when the chunk is short) and the poster frame come
    from one decode and are stored at once (with the audio's first segments the video is
    ready), then the rung a player asks for, alone, then the rest together; a request that
    arrives while the rest is encoding stops that pass and takes its rung first.
    """

    def __call__(self, ctx: TaskContext) -> None:
        self._still_wanted(ctx)
        plan = load_plan(self.storage, ctx.video.id)
        if not 0 <= ctx.part < len(plan.chunks):
            raise MediaError("no_chunk", f"the plan has no chunk {ctx.part}")
        chunk = plan.chunks[ctx.part]
        self.config.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            self._input(ctx, plan) as source,
            tempfile.TemporaryDirectory(
                dir=self.config.tmp_dir, prefix=f"chunk-{ctx.video.id}-{chunk.index}-"
            ) as tmp,
        ):
            pass_ = _Pass(self, ctx, plan, chunk, source, Path(tmp))
            pass_.quality = TierSettings.from_dict(plan.extra.get(QUALITY_KEY))
            if chunk.index == 0:
                self._first_chunk(pass_, plan.rung_order())
                return
            todo = list(plan.renditions)
            if (copied := reused(plan, chunk.index)) is not None:  # a clip's inner chunk
                stored = functools.partial(self._stored, pass_)
                todo = copy_rungs(self, pass_, *copied, stored=stored)
            if todo:
                self._rungs(pass_, todo)

    def _decide(self, pass_: _Pass, since: datetime | None = None) -> None:
        """A content-aware tier (ADR 0046): the title's CRF (``decision``), measured once per
        title, by the prober chunk's task (``prober_chunk``) or, when that one does not run,
        by the first chunk that needs it, and stored; every rung is encoded at it under its
        cap. Run below the work a viewer waits for, before the background
        pass only: a rung a player waits for is encoded at once, at the default CRF
        (``_undecided``); a request that comes while the probe runs or the pass waits for it
        (newer than ``since``) stops that, and the chunk keeps the default CRF."""
        quality, plan, chunk, cfg = pass_.quality, pass_.plan, pass_.chunk, self.config
        if not quality.content_aware or not plan.renditions or pass_.decided:
            return
        pass_.decided = True
        ctx = pass_.ctx
        video_id = ctx.video.id

        def asked() -> None:
            row = self.tasks.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=ctx.part)
            if row is not None and row.requested_at not in (None, since):
                raise _ProbeStopped

        crf, decision = quality.default_crf, None
        try:
            found = load_decision(self.storage, video_id, plan)
            if found is None and chunk.index != prober_chunk(plan):
                found = wait_decision(self.storage, self.tasks, video_id, plan, on_tick=asked)
            if found is None:  # the prober, or it is not running: measure here
                nice = RaiseWhenReady(functools.partial(self._is_ready, video_id))

                def tick() -> None:
                    asked()
                    nice.tick()

                found = measure_title(
                    cfg.ffmpeg,
                    pass_.source,
                    pass_.out / "probe",
                    plan,
                    quality,
                    preset=pass_.preset,
                    timeout=cfg.timeout,
                    on_tick=tick,
                    on_start=nice.started,
                )
                ctx.check_claim()
                store_decision(self.storage, video_id, found)
                log.info("quality of %s: %s", video_id, describe(found))
            crf, decision = found.crf, found
        except _ProbeStopped:
            log.info("chunk %s of %s: a player asked; the default crf", chunk.index, video_id)
        pass_.encodings = rung_encodings(plan, crf, decision)

    def _is_ready(self, video_id: str) -> bool:
        video = self.service.find(video_id)
        return video is not None and video.state is VideoState.READY

    def _undecided(self, pass_: _Pass) -> None:
        """A content-aware pass a player waits for, before the decision: the default CRF."""
        quality, plan = pass_.quality, pass_.plan
        if quality.content_aware and not pass_.decided:
            pass_.encodings = rung_encodings(plan, quality.default_crf)

    def _rungs(self, pass_: _Pass, todo: list[PlannedRendition]) -> None:
        """Encode ``todo``: the rung a player asked for alone first, at nice 0 (a fraction of
        the ladder's cost, so a reader keeps ahead), then the others together in the
        background. A request that comes in while that pass runs stops it, if encoding the
        asked rung alone ends sooner than the rest of the pass would (it goes first, then the
        pass starts again without it), and raises it to nice 0 otherwise (ADR 0064)."""
        ctx = pass_.ctx
        row = self.tasks.get_task(ctx.video.id, TaskKind.TRANSCODE_CHUNK, part=ctx.part)
        since = row.requested_at if row is not None else None
        wanted = row.requested_rendition if row is not None and since is not None else None
        whole = since is not None and wanted is None  # asked for, no rung named: all at once
        if ctx.part > 0:
            todo = [r for r in todo if not self._stored(pass_, r.name)]  # given back earlier
        while todo:
            first = next((r for r in todo if r.name == wanted), None)
            wanted = None
            try:
                if first is not None:
                    self._undecided(pass_)
                    pass_.run([first], nice=0)
                    todo.remove(first)
                elif whole:
                    self._undecided(pass_)
                    pass_.run(todo, nice=0)
                    todo = []
                else:
                    waiting = None
                    if ctx.part > 0:
                        waiting = functools.partial(self._another_waits, pass_)
                        row = self.tasks.get_task(
                            ctx.video.id, TaskKind.TRANSCODE_CHUNK, part=ctx.part
                        )
                        fresh = row is not None and row.requested_at not in (None, since)
                        if not fresh and waiting():  # nobody asked for it meanwhile
                            raise TaskYields
                    self._decide(pass_, since)  # the probe: nobody waits for these rungs
                    watch = Watch(self.tasks, ctx, since=since, rungs=todo, yields=waiting)
                    pass_.run(todo, nice=BACKGROUND_NICE, watch=watch)
                    todo = []
            except Asked as asked:
                log.info(
                    "%s %s of %s: a player asked for %s; it goes first",
                    ctx.kind,
                    ctx.part,
                    ctx.video.id,
                    asked.rung,
                )
                wanted, since = asked.rung, asked.at

    def _stored(self, pass_: _Pass, rung: str, chunk: Chunk | None = None) -> bool:
        """Are ``rung``'s segments of ``chunk`` (default: the pass's) stored? A pass stores
        them in order: the last one tells."""
        plan = pass_.plan
        last = plan.chunk_segments(chunk or pass_.chunk)[-1]
        key = layout.hls_prefix(pass_.ctx.video.id) + plan.segment_name(rung, last.index)
        try:
            self.storage.stat(key)
        except FileNotFoundError:
            return False
        return True

    def _another_waits(self, pass_: _Pass) -> bool:
        """Has a player waited for a rung of another chunk of the video that no worker has
        taken (``waits_for_worker``)? Then this chunk's background rungs give the worker back
        (``TaskYields``): they are queued again, behind it (ADR 0064)."""
        now, plan = utcnow(), pass_.plan
        for t in self.tasks.list_parts(pass_.ctx.video.id, [TaskKind.TRANSCODE_CHUNK]):
            if t.part == pass_.chunk.index or not 0 <= t.part < len(plan.chunks):
                continue
            row = PartRow(t.part, t.status, t.heartbeat_at, t.requested_at, t.requested_rendition)
            stored = functools.partial(self._stored, pass_, chunk=plan.chunks[t.part])
            if waits_for_worker(row, now, stored=stored):
                return True
        return False

    def _poster(self, pass_: _Pass) -> ChunkPoster | None:
        """The poster frame, unless stored (a re-run): the frame at 1 s, mid-way through a
        shorter video, or the first chunk's last frame when that chunk ends sooner (an
        opening chunk of 1 s). The start rung's pass writes it from its own decode."""
        video_id, plan = pass_.ctx.video.id, pass_.plan
        try:
            self.storage.stat(layout.poster_key(video_id))
            return None
        except FileNotFoundError:
            pass
        start, end = plan.chunk_frames(pass_.chunk)
        at = round(min(1.0, plan.duration / 2) * float(plan.fps))
        return ChunkPoster(
            frame=max(0, min(at, end - start - 1)), width=1280, path=str(pass_.out / layout.POSTER)
        )

    def _first_chunk(self, pass_: _Pass, todo: list[PlannedRendition]) -> None:
        start = [todo.pop(0)]
        plan = pass_.plan
        if todo and plan.segment_duration(plan.segments[0]) < plan.segment_seconds:
            # An opening chunk (ADR 0063): the rung players most often start on joins the
            # start rung's pass (one decode), so it is stored when the video becomes ready.
            likely = min(todo, key=lambda r: abs(r.height - LIKELY_START_HEIGHT))
            todo.remove(likely)
            start.append(likely)
        poster = self._poster(pass_)
        pass_.run(start, nice=0, poster=poster)  # the poster from the same decode
        if poster is not None:
            pass_.ctx.check_claim()
            self.storage.put_file(
                layout.poster_key(pass_.ctx.video.id), Path(poster.path), move=True
            )
            forget_if_deleted(self.service, pass_.ctx.video.id)
        self.progress.part_done(pass_.ctx)  # the start may make the video ready
        if todo and plan.cmaf:
            # the other rungs' init segments, from one frame each (after ready: it costs the
            # start ~0.2 s): a player switching rungs asks for the init, then the segment
            pass_.run([], nice=0, inits=todo)
        if todo:
            self._first_request(pass_.ctx, [r.name for r in todo])
            self._rungs(pass_, todo)

    def _first_request(self, ctx: TaskContext, rungs: list[str]) -> None:
        """Wait for the first player's request for one of ``rungs``: a player that starts as
        the video becomes ready asks within a moment, and its rung is then encoded alone
        instead of after the rest (the cores meanwhile go to the audio and later chunks).
        At most ``FIRST_REQUEST_WAIT`` s once the video is ready, and ``START_WAIT`` s in
        all (the audio's first segments may still be on their way)."""
        now = time.monotonic()
        cap, deadline = now + START_WAIT, now + FIRST_REQUEST_WAIT
        ready = False
        while (now := time.monotonic()) < min(deadline, cap):
            if self.asked_rung(ctx) in rungs:
                return
            if not ready:
                video = self.service.find(ctx.video.id)
                if video is None or video.state not in (VideoState.PROCESSING, VideoState.READY):
                    return  # deleted or failed: the next write says which
                ready = video.state is VideoState.READY
                deadline = now + FIRST_REQUEST_WAIT
                audio = self.tasks.get_task(ctx.video.id, TaskKind.TRANSCODE_AUDIO)
                if not ready and audio is not None and audio.status is TaskStatus.PENDING:
                    return  # no worker has the audio yet (this one may be the only one)
            time.sleep(0.05)
        ctx.check_claim()

    def asked_rung(self, ctx: TaskContext) -> str | None:
        """The rung of the latest request for a segment of the first chunk not stored yet."""
        row = self.tasks.get_task(ctx.video.id, TaskKind.TRANSCODE_CHUNK, part=0)
        return row.requested_rendition if row is not None else None


class _ProbeStopped(Exception):
    """A player asked for the chunk while its probe ran."""


@dataclass
class _Pass:
    """Runs ffmpeg passes over one chunk (one decode each, into some of its rungs) and
    stores each pass's segments; reports the chunk's progress over all its rungs."""

    encoder: ChunkEncoder
    ctx: TaskContext
    plan: SegmentPlan
    chunk: Chunk
    source: list[str]
    out: Path
    rungs_done: int = 0
    quality: TierSettings = field(default_factory=lambda: TierSettings.from_dict(None))
    encodings: dict[str, RungEncoding] = field(default_factory=dict)
    """The rungs' rate control (``_decide``); a rung not named: its planned average rate."""
    decided: bool = False
    """Has the chunk's CRF been decided (``ChunkEncoder._decide``)?"""

    @property
    def preset(self) -> str:
        return self.quality.preset or self.encoder.config.preset

    def run(
        self,
        rungs: list[PlannedRendition],
        *,
        nice: int,
        watch: Watch | None = None,
        poster: ChunkPoster | None = None,
        inits: list[PlannedRendition] | None = None,
    ) -> None:
        """Encode ``rungs`` and store their segments; ``watch``: stop or raise the pass when
        a player asks for the chunk (``Watch``); ``poster``: write that frame too;
        ``inits``: store these rungs' init segments too (from one frame each)."""
        encoder, plan, chunk = self.encoder, self.plan, self.chunk
        cfg = encoder.config
        segments = plan.chunk_segments(chunk)
        start, end = plan.chunk_frames(chunk)
        last = chunk.index == len(plan.chunks) - 1
        cmd = build_chunk_command(
            cfg.ffmpeg,
            self.source,
            str(self.out),
            rungs,
            fps=plan.fps,
            start_frame=start,
            end_frame=end,
            pad_frames=end - start if last else 0,
            segment_frames=[s.start_frame - start for s in segments[1:]],
            first_segment=chunk.first_segment,
            ts_offset=plan.ts_offset,
            preset=self.preset,
            strict=cfg.strict_decode,
            timescale=plan.video_timescale if plan.cmaf else None,
            poster=poster,
            inits=inits or (),
            encodings=self.encodings,
            stitchable=self.quality.content_aware,
        )
        total = len(plan.renditions)
        label = ",".join(r.name for r in rungs) or "init segments of " + ",".join(
            r.name for r in inits or ()
        )
        log.info("chunk %s of %s: %s (nice %s)", chunk.index, self.ctx.video.id, label, nice)

        done = [0.0]  # the pass's latest reported fraction

        def progress(percent: float) -> None:
            self.ctx.progress(
                (self.rungs_done + len(rungs) * min(percent, 99.9) / 100) * 100 / total
            )
            done[0] = min(percent, 100.0) / 100
            if watch is not None:
                watch.check(done[0])

        run_ffmpeg(
            cmd,
            duration=plan.seconds(end - start),
            on_progress=progress,
            limits=task_limits(cfg.timeout, nice=nice),
            on_start=watch.pids.append if watch is not None else None,
            # looked up on a clock too: a starved nice-19 pass reports its progress rarely
            on_tick=(lambda: watch.check(done[0])) if watch is not None else None,
        )
        names = [plan.segment_name(r.name, s.index) for r in rungs for s in segments]
        packaged, _ = encoder._package(self.ctx, plan, self.out, names)
        if inits:
            first = chunk.first_segment
            packaged[:0] = encoder._inits_of_first_frames(
                self.ctx, self.out, [r.name for r in inits], first
            )
        encoder._store(self.ctx, self.out, packaged)
        self.rungs_done += len(rungs)
