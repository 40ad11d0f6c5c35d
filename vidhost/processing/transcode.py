"""The transcode: a segment plan, then chunk tasks and one audio task (ADR 0060, 0062).

- ``transcode`` (``Transcoder``): fixes the segment plan from the probed source, stores it and
  every playlist (master, one per rung, audio) before a frame is encoded, then creates one
  ``transcode_chunk`` task per chunk and one ``transcode_audio`` task, and dispatches them.
  Its row stays ``processing``; its progress is stored segments / planned.
- ``transcode_chunk`` (``ChunkEncoder``): decodes only its chunk's time range of the source
  (a local copy read through the storage port, kept per worker with S3), encodes every rung,
  stores the chunk's segments. The first chunk goes rung by rung, the start rung and the
  poster first, then the rung a player asks for (ADR 0062).
- ``transcode_audio`` (``AudioEncoder``): encodes the audio once, segmented on the same
  boundaries, each segment stored as soon as it is finished.
- ``LadderProgress``: after each part (and once the start is stored), counts what is stored;
  the start (``SegmentPlan.start_segments`` and the poster) makes the video ``ready``, the
  last part completes the ``transcode`` task. A part that fails twice fails both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from vidhost.core import layout
from vidhost.core.dash import dash_manifest
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Rendition, Video, utcnow
from vidhost.core.ports import Storage
from vidhost.core.segments import (
    AAC_FRAME,
    Chunk,
    PlannedRendition,
    SegmentPlan,
    make_plan,
    master_playlist,
    media_playlist,
)
from vidhost.core.videos import VideoService
from vidhost.media import cmaf
from vidhost.media.chunks import build_audio_command, build_chunk_command
from vidhost.media.errors import (
    CORRUPT_MEDIA,
    INPUT_ERRORS,
    INTERRUPTIONS,
    SOURCE_CHANGED,
    MediaError,
)
from vidhost.media.formats import input_args
from vidhost.media.hls import build_poster_command, codecs_string
from vidhost.media.ladder import select_ladder
from vidhost.media.probe import MediaInfo
from vidhost.media.process import renice
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.processing.probing import MediaProber, ProbeConfig, source_copy
from vidhost.processing.runner import (
    TaskContext,
    TaskContinues,
    TaskYields,
    forget_if_deleted,
)

log = logging.getLogger(__name__)

PARTS = (TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO)
MP2T = "video/MP2T"
M4S = "video/iso.segment"
MP4 = "video/mp4"
PART_ATTEMPTS = 2
"""A part that fails this many times fails the video (a crash, a bad worker: not the video)."""
BACKGROUND_NICE = 19
"""Nice value of work nobody waits for yet (later chunks, the rest of the audio): a viewer's
start and requests take the cores. The lowest priority: a chunk has many encoder threads,
and the scheduler weighs each thread."""
FIRST_REQUEST_WAIT = 1.0
"""Seconds the first chunk waits, once its start rung is stored and the video ready, for a
player to ask for a rung (ADR 0062)."""
START_WAIT = 4.0
LIKELY_START_HEIGHT = 720
"""The rung height players most often start on with a good link (hls.js's bandwidth test on
a fast network, AVPlayer, ExoPlayer): the opening chunk encodes it with the start rung."""
"""The most it waits in all (the video becomes ready when the audio's start is stored)."""
NO_RETRY = frozenset({"video_deleted", SOURCE_CHANGED, "no_plan", "no_chunk"})
"""Failures that another attempt cannot change."""


@dataclass
class TranscodeConfig:
    ffmpeg: str
    heights: Sequence[int]
    segment_seconds: float
    preset: str
    timeout: float
    tmp_dir: Path
    strict_decode: bool = True
    chunk_seconds: float = 12.0
    first_chunk_seconds: float | None = None
    """``None``: the first chunk is one segment (the start is fast)."""
    packaging: str = layout.CMAF
    """``cmaf`` or ``ts`` for new plans (ADR 0063); a stored plan keeps its own."""
    opening_seconds: Sequence[float] = ()
    """The first segments' lengths, each its own chunk (``Settings.opening_segments``)."""
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    cache_sources: int = 0
    """Sources a worker keeps between tasks (S3: each is downloaded once per worker, not
    once per chunk); 0 when reading the source costs nothing (local storage)."""


class SourceFiles:
    """The local file a part task reads: the accepted source (its ETag checked against the
    one accepted at upload, ADR 0051) or the enhanced file.

    With a remote store (``cache_sources`` > 0) a worker keeps its last few downloads in
    ``tmp_dir/sources/`` (named by key and ETag), so the chunks of one video that land on the
    same worker download the source once. ffmpeg never reads the network (the task sandbox
    has none, ADR 0051), so a pre-signed URL is not an input: see ADR 0060.
    """

    def __init__(self, storage: Storage, tmp_dir: Path, keep: int) -> None:
        self.storage = storage
        self.dir = tmp_dir / "sources"
        self.keep = keep

    @contextlib.contextmanager
    def open(self, video: Video, key: str) -> Iterator[Path]:
        if self.keep <= 0:
            with source_copy(self.storage, video, key) as path:
                yield path
            return
        etag = self.storage.stat(key).etag
        if key == video.source_key and video.source_etag and etag != video.source_etag:
            with source_copy(self.storage, video, key) as path:  # raises source_changed
                yield path
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        cached = self.dir / hashlib.sha256(f"{key}\0{etag}".encode()).hexdigest()
        if not cached.is_file():
            with source_copy(self.storage, video, key) as path:
                if self.storage.stat(key).etag == etag:
                    os.replace(path, cached)  # a private temp file of this process
                    self._evict(keep=cached)
                else:
                    yield path
                    return
        mine = self.dir / f".{cached.name}.{uuid.uuid4().hex}"  # one per use (threads too)
        try:
            os.link(cached, mine)  # eviction by another worker cannot pull it from under us
        except FileNotFoundError:  # evicted just now: read a copy of our own
            with source_copy(self.storage, video, key) as path:
                yield path
            return
        try:
            yield mine
        finally:
            mine.unlink(missing_ok=True)

    def _evict(self, *, keep: Path) -> None:
        entries = sorted(
            (p for p in self.dir.iterdir() if not p.name.startswith(".") and p != keep),
            key=lambda p: p.stat().st_mtime,
        )
        for old in entries[: max(0, len(entries) - (self.keep - 1))]:
            old.unlink(missing_ok=True)


def load_plan(storage: Storage, video_id: str) -> SegmentPlan:
    try:
        return SegmentPlan.from_json(storage.get_bytes(layout.plan_key(video_id)))
    except FileNotFoundError:
        raise MediaError("no_plan", "the video has no segment plan") from None


class Transcoder:
    """The ``transcode`` task: plan and playlists, then the chunk and audio tasks.

    The plan is cut from the probe made at acceptance (ADR 0090); an enhanced file is probed
    in the sandbox, with the limits, pinned to the accepted container."""

    def __init__(
        self,
        service: VideoService,
        storage: Storage,
        config: TranscodeConfig,
        progress: LadderProgress | None = None,
    ) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.prober = MediaProber(config.probe)
        self.progress = progress or LadderProgress(service, storage)
        self.sources = SourceFiles(storage, config.tmp_dir, config.cache_sources)

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        source_key = ctx.source_key  # ``no_source`` before the state changes
        self.service.change_state(video, VideoState.PROCESSING)
        try:
            plan = self._plan(ctx, source_key)
        except MediaError as exc:
            if exc.code not in INTERRUPTIONS:  # a killed ffmpeg runs again (the runner)
                fail_video(self.service, video, exc)
            raise
        except Exception as exc:
            self.service.change_state(
                video,
                VideoState.FAILED,
                error_code="internal_error",
                error_message=f"processing failed: {type(exc).__name__}",
            )
            raise
        # The first chunk and the audio first: together they are the start of the video.
        parts = [(TaskKind.TRANSCODE_CHUNK, c.index) for c in plan.chunks]
        if plan.has_audio:
            parts.insert(1, (TaskKind.TRANSCODE_AUDIO, 0))
        forget_if_deleted(self.service, video.id)  # the plan and playlists
        ctx.check_claim()
        self.service.start_parts(video.id, parts)
        if self.progress.update(video.id):  # a re-run after every part was already done
            return
        raise TaskContinues

    def _plan(self, ctx: TaskContext, source_key: str) -> SegmentPlan:
        video = ctx.video
        try:
            plan = load_plan(self.storage, video.id)
            if plan.source_key == source_key:
                return plan  # a re-run: the plan and playlists are stored already
        except MediaError:
            pass
        cfg = self.config
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with self.sources.open(video, source_key) as source:  # the first chunk reuses it
            info = self.prober.accepted(video, source, source_key)  # probed at acceptance
            plan = self._make_plan(info, source_key)
        # The playlists and the plan name segments that do not exist yet: nothing serves them
        # before the video is ready (ADR 0060), and re-runs write the same bytes.
        for rung in plan.renditions:
            self.storage.put_bytes(
                layout.playlist_key(video.id, rung.name),
                media_playlist(plan, rung.name).encode(),
                content_type="application/vnd.apple.mpegurl",
            )
        if plan.has_audio:
            self.storage.put_bytes(
                layout.playlist_key(video.id, layout.AUDIO_RENDITION),
                media_playlist(plan, layout.AUDIO_RENDITION).encode(),
                content_type="application/vnd.apple.mpegurl",
            )
        if plan.cmaf:
            self.storage.put_bytes(
                layout.dash_key(video.id),
                dash_manifest(plan).encode(),
                content_type="application/dash+xml",
            )
        self.storage.put_bytes(
            layout.master_key(video.id),
            master_playlist(plan).encode(),
            content_type="application/vnd.apple.mpegurl",
        )
        self.storage.put_bytes(layout.plan_key(video.id), plan.to_json())
        return plan

    def _make_plan(self, info: MediaInfo, source_key: str) -> SegmentPlan:
        cfg = self.config
        if info.video is None:
            raise MediaError("not_a_video", "the source has no video stream")
        v = info.video
        has_audio = info.audio is not None
        ladder = select_ladder(v.display_width, v.display_height, cfg.heights)
        audio_bitrate = ladder[0].audio_bitrate if has_audio else None
        renditions = tuple(
            PlannedRendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bandwidth=r.max_bitrate + (audio_bitrate or 0),
                video_bitrate=r.video_bitrate,
                max_bitrate=r.max_bitrate,
                buffer_size=r.buffer_size,
                codecs=codecs_string(r, has_audio=has_audio, fps=v.fps or 30.0),
            )
            for r in ladder
        )
        return make_plan(
            source_key=source_key,
            source_format=info.format_name,
            duration=info.duration,
            fps=v.fps,
            segment_seconds=cfg.segment_seconds,
            chunk_seconds=cfg.chunk_seconds,
            first_chunk_seconds=cfg.first_chunk_seconds or cfg.segment_seconds,
            renditions=renditions,
            audio_bitrate=audio_bitrate,
            packaging=cfg.packaging,
            opening=cfg.opening_seconds,
        )


def fail_video(service: VideoService, video: Video, exc: MediaError) -> None:
    """A media error fails the video; one that is about the input also drops its bytes."""
    if exc.code in INPUT_ERRORS:
        service.reject_source(video, exc.code, exc.message)
    else:
        service.change_state(
            video, VideoState.FAILED, error_code=exc.code, error_message=exc.message
        )


class _PartEncoder:
    def __init__(
        self,
        service: VideoService,
        storage: Storage,
        config: TranscodeConfig,
        sources: SourceFiles,
        progress: LadderProgress | None = None,
    ) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.sources = sources
        self.progress = progress or LadderProgress(service, storage)
        """Told of segments stored before the part ends: the start may make the video ready."""

    @staticmethod
    def _still_wanted(ctx: TaskContext) -> None:
        """A part of a video that already failed (another part failed twice) does no work."""
        if ctx.video.state is VideoState.FAILED:
            raise MediaError(ctx.video.error_code or "task_failed", "the video already failed")

    @contextlib.contextmanager
    def _input(self, ctx: TaskContext, plan: SegmentPlan) -> Iterator[list[str]]:
        """ffmpeg input arguments for the plan's source, pinned (ADR 0051) to the container
        the plan was cut from: the accepted source (its ETag checked) or the enhanced file.
        Not probed again: the transcode task probed (or took the kept probe of) this file
        when it cut the plan (ADR 0090)."""
        with self.sources.open(ctx.video, plan.source_key) as path:
            yield [*input_args(plan.source_format), "-i", str(path)]

    def _package(
        self, ctx: TaskContext, plan: SegmentPlan, out: Path, names: list[str], audio_at: int = 0
    ) -> tuple[list[str], int]:
        """CMAF (ADR 0063): each of ffmpeg's segment files (``<name>.mp4``, a fragmented MP4)
        becomes the media segment ``names`` names, placed on the video's timeline (video: the
        planned start frame; audio: ``audio_at`` and on, in samples); each rendition's init
        segment joins the names, unless stored already (every chunk writes the same one).
        The names to store, and the audio's next decode time; MPEG-TS segments are stored as
        ffmpeg wrote them."""
        if not plan.cmaf:
            return names, audio_at
        stored: list[str] = []
        inits: dict[str, bytes] = {}
        for name in names:
            raw = out / (name.rsplit(".", 1)[0] + ".mp4")
            if not raw.is_file():
                continue  # _store says which segment the source did not give
            parsed = layout.parse_segment_name(name)
            assert parsed is not None
            rendition, index = parsed
            try:
                parts = cmaf.split(raw.read_bytes())
            except cmaf.CmafError as exc:  # ffmpeg ended without the segment's samples
                raise MediaError(
                    CORRUPT_MEDIA, f"the source gave no frames for {name}: truncated or corrupt"
                ) from exc
            if rendition == layout.AUDIO_RENDITION:
                decode_time = audio_at
                audio_at += cmaf.duration(parts.fragment, parts.init)
                init = cmaf.with_edit_list(parts.init, AAC_FRAME)  # the encoder's priming
            else:
                decode_time = plan.segments[index].start_frame * plan.frame_ticks
                init = parts.init
            segment = cmaf.media_segment(
                parts.fragment, decode_time=decode_time, sequence=index + 1
            )
            (out / name).write_bytes(segment)
            raw.unlink()
            inits.setdefault(rendition, init)
            stored.append(name)
        for rendition, init in inits.items():
            init_name = layout.init_name(rendition)
            try:
                self.storage.stat(layout.hls_prefix(ctx.video.id) + init_name)
            except FileNotFoundError:
                (out / init_name).write_bytes(init)
                stored.insert(0, init_name)  # before any segment: a player needs it first
        return stored + [n for n in names if n not in stored], audio_at

    def _store(self, ctx: TaskContext, out: Path, names: list[str]) -> None:
        missing = [n for n in names if not (out / n).is_file()]
        if missing:
            # ffmpeg succeeded but the source ran out of frames before the planned end.
            raise MediaError(
                CORRUPT_MEDIA,
                f"the source ends before its declared duration (no {missing[0]}): "
                "truncated or corrupt",
            )
        ctx.check_claim()  # a worker that lost its claim writes nothing
        prefix = layout.hls_prefix(ctx.video.id)
        try:
            for name in names:
                # the type a redirected player gets from S3 (a guess would be text/...)
                kind = MP4 if name.endswith(".mp4") else M4S if name.endswith(".m4s") else MP2T
                self.storage.put_file(prefix + name, out / name, move=True, content_type=kind)
        finally:
            forget_if_deleted(self.service, ctx.video.id)
        try:  # wakes the requests held for them (ADR 0064); else the 1 s re-check does
            self.service.segments_stored(ctx.video.id, ctx.kind, ctx.part, names)
        except Exception as exc:
            log.warning("segments of %s stored, no event (%s)", ctx.video.id, exc)


class ChunkEncoder(_PartEncoder):
    """``transcode_chunk``: every rung of one chunk's segments.

    Every chunk but the first decodes its range once for every rung, and runs
    ``BACKGROUND_NICE`` below the work a viewer waits for; one a player asked for encodes the
    asked rung alone first, at nice 0, then the others in the background (ADR 0064).
    The first chunk is the start of the video (ADR 0062): its start rung (the lowest) is
    encoded alone, the poster rendered beside it, both stored at once (with the audio's
    first segments the video is ready), then the rung a player asks for, alone, then the
    rest together; a request that arrives while the rest is encoding stops that pass and
    takes its rung first.
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
            if chunk.index == 0:
                self._first_chunk(pass_, plan.rung_order())
                return
            self._rungs(pass_, list(plan.renditions))

    def _rungs(self, pass_: _Pass, todo: list[PlannedRendition]) -> None:
        """Encode ``todo``: the rung a player asked for alone first, at nice 0 (a fraction of
        the ladder's cost, so a reader keeps ahead), then the others together in the
        background. A request that comes in while that pass runs stops it, if encoding the
        asked rung alone ends sooner than the rest of the pass would (it goes first, then the
        pass starts again without it), and raises it to nice 0 otherwise (ADR 0064)."""
        ctx = pass_.ctx
        row = self.service.repo.get_task(ctx.video.id, TaskKind.TRANSCODE_CHUNK, part=ctx.part)
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
                    pass_.run([first], nice=0)
                    todo.remove(first)
                elif whole:
                    pass_.run(todo, nice=0)
                    todo = []
                else:
                    waiting = None
                    if ctx.part > 0:
                        waiting = functools.partial(self._another_waits, pass_)
                        if waiting():
                            raise TaskYields
                    watch = _Watch(self.service, ctx, since=since, rungs=todo, yields=waiting)
                    pass_.run(todo, nice=BACKGROUND_NICE, watch=watch)
                    todo = []
            except _Asked as asked:
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
        """Has a player waited ``YIELD_AFTER`` s for a rung of another chunk of the video
        that no worker has taken? Then this chunk's background rungs give the worker back
        (``TaskYields``): they are queued again, behind it (ADR 0064)."""
        before = utcnow() - timedelta(seconds=YIELD_AFTER)
        plan = pass_.plan
        return any(
            t.part != pass_.chunk.index
            and t.status is TaskStatus.PENDING
            and t.requested_at is not None
            and t.requested_at < before
            and 0 <= t.part < len(plan.chunks)
            and not (
                t.requested_rendition is not None
                and self._stored(pass_, t.requested_rendition, plan.chunks[t.part])
            )
            for t in self.service.repo.list_parts(pass_.ctx.video.id, [TaskKind.TRANSCODE_CHUNK])
        )

    def _poster(self, ctx: TaskContext, plan: SegmentPlan) -> None:
        """The poster frame (at 1 s, or mid-way through a shorter video), unless stored."""
        video, cfg = ctx.video, self.config
        try:
            self.storage.stat(layout.poster_key(video.id))
            return  # a re-run
        except FileNotFoundError:
            pass
        with (
            self.sources.open(video, plan.source_key) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"poster-{video.id}-") as tmp,
        ):
            poster = Path(tmp) / layout.POSTER
            run_ffmpeg(
                build_poster_command(
                    cfg.ffmpeg,
                    str(source),
                    str(poster),
                    at_seconds=min(1.0, plan.duration / 2),
                    width=1280,
                    input_format=plan.source_format,
                ),
                duration=None,
                limits=task_limits(cfg.timeout),
            )
            ctx.check_claim()
            self.storage.put_file(layout.poster_key(video.id), poster, move=True)
        forget_if_deleted(self.service, video.id)

    def _first_chunk(self, pass_: _Pass, todo: list[PlannedRendition]) -> None:
        start = [todo.pop(0)]
        plan = pass_.plan
        if todo and plan.segment_duration(plan.segments[0]) < plan.segment_seconds:
            # An opening chunk (ADR 0063): the rung players most often start on joins the
            # start rung's pass (one decode), so it is stored when the video becomes ready.
            likely = min(todo, key=lambda r: abs(r.height - LIKELY_START_HEIGHT))
            todo.remove(likely)
            start.append(likely)
        with ThreadPoolExecutor(1, thread_name_prefix="poster") as pool:
            poster = pool.submit(self._poster, pass_.ctx, pass_.plan)  # beside the start
            pass_.run(start, nice=0)
            poster.result()
        self.progress.part_done(pass_.ctx)  # the start may make the video ready
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
                video = self.service.repo.get_video(ctx.video.id)
                if video is None or video.state not in (VideoState.PROCESSING, VideoState.READY):
                    return  # deleted or failed: the next write says which
                ready = video.state is VideoState.READY
                deadline = now + FIRST_REQUEST_WAIT
                audio = self.service.repo.get_task(ctx.video.id, TaskKind.TRANSCODE_AUDIO)
                if not ready and audio is not None and audio.status is TaskStatus.PENDING:
                    return  # no worker has the audio yet (this one may be the only one)
            time.sleep(0.05)
        ctx.check_claim()

    def asked_rung(self, ctx: TaskContext) -> str | None:
        """The rung of the latest request for a segment of the first chunk not stored yet."""
        row = self.service.repo.get_task(ctx.video.id, TaskKind.TRANSCODE_CHUNK, part=0)
        return row.requested_rendition if row is not None else None


YIELD_AFTER = 0.5
"""Seconds a chunk a player asked for may wait unclaimed before a chunk encoding rungs
nobody waits for gives its worker back (ADR 0064)."""
RESTART_MARGIN = 1.2
"""A pass a player asks one rung of stops for it when the rest of the pass costs more than
this many times that rung alone (a fresh decode and ffmpeg's start make up the margin)."""


def _cost(rungs: Sequence[PlannedRendition]) -> int:
    """A pass's encoding cost, in pixels per frame (x264's time grows with them)."""
    return sum(r.width * r.height for r in rungs)


@dataclass
class _Watch:
    """A part running at ``BACKGROUND_NICE`` while nobody waits for it, watched for a request
    that comes in after ``since`` (None: any request); looked up at the part's progress
    reports, at most every ``every`` seconds (ADR 0064). On such a request for one of
    ``rungs`` (a chunk pass) whose encoding alone ends sooner than the rest of the pass, the
    pass stops (``_Asked``): that rung goes first. Otherwise the pass is raised to nice 0:
    a reader now waits for it."""

    service: VideoService
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
        if self.yields is not None and self.yields():
            raise TaskYields
        row = self.service.repo.get_task(self.ctx.video.id, self.ctx.kind, part=self.ctx.part)
        asked = row.requested_at if row is not None else None
        if row is None or asked is None or (self.since is not None and asked <= self.since):
            return
        self.done = True
        ctx = self.ctx
        rung = next((r for r in self.rungs if r.name == row.requested_rendition), None)
        if (
            rung is not None
            and len(self.rungs) > 1
            and (1 - fraction) * _cost(self.rungs) > RESTART_MARGIN * _cost([rung])
        ):
            raise _Asked(rung.name, asked)
        log.info("%s %s of %s: a reader waits, nice 0", ctx.kind, ctx.part, ctx.video.id)
        for pid in self.pids:
            renice(pid, 0)


class _Asked(Exception):
    """A player asked for a rung of the pass that is running: it stops, that rung goes next."""

    def __init__(self, rung: str, at: datetime) -> None:
        super().__init__(rung)
        self.rung = rung
        self.at = at


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

    def run(
        self,
        rungs: list[PlannedRendition],
        *,
        nice: int,
        watch: _Watch | None = None,
    ) -> None:
        """Encode ``rungs`` and store their segments; ``watch``: stop or raise the pass when
        a player asks for the chunk (``_Watch``)."""
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
            preset=cfg.preset,
            strict=cfg.strict_decode,
            timescale=plan.video_timescale if plan.cmaf else None,
        )
        total = len(plan.renditions)
        label = ",".join(r.name for r in rungs)
        log.info("chunk %s of %s: %s (nice %s)", chunk.index, self.ctx.video.id, label, nice)

        def progress(percent: float) -> None:
            self.ctx.progress(
                (self.rungs_done + len(rungs) * min(percent, 99.9) / 100) * 100 / total
            )
            if watch is not None:
                watch.check(min(percent, 100.0) / 100)

        run_ffmpeg(
            cmd,
            duration=plan.seconds(end - start),
            on_progress=progress,
            limits=task_limits(cfg.timeout, nice=nice),
            on_start=watch.pids.append if watch is not None else None,
        )
        names = [plan.segment_name(r.name, s.index) for r in rungs for s in segments]
        packaged, _ = encoder._package(self.ctx, plan, self.out, names)
        encoder._store(self.ctx, self.out, packaged)
        self.rungs_done += len(rungs)


class AudioEncoder(_PartEncoder):
    """``transcode_audio``: the audio rendition, encoded once, cut on the plan's boundaries.

    Each segment is stored as soon as ffmpeg has finished it (it opens the next one only
    after closing the last), so the first chunk's audio is stored within a second or two
    whatever the video's length, and the video can be ready long before the audio ends
    (ADR 0062); a request for an audio segment not stored yet waits for it (ADR 0061)."""

    def __call__(self, ctx: TaskContext) -> None:
        self._still_wanted(ctx)
        cfg = self.config
        plan = load_plan(self.storage, ctx.video.id)
        if plan.audio_bitrate is None:
            return
        end = plan.seconds(plan.total_frames)
        names = [plan.segment_name(layout.AUDIO_RENDITION, s.index) for s in plan.segments]
        start = plan.chunks[0].segment_count
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            self._input(ctx, plan) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"audio-{ctx.video.id}-") as tmp,
        ):
            out = Path(tmp)
            stored = 0
            pids: list[int] = []
            written = names  # what ffmpeg writes: the names themselves, or CMAF's raw files
            if plan.cmaf:
                written = [n.rsplit(".", 1)[0] + ".mp4" for n in names]
            at = 0  # CMAF: the next segment's decode time, in samples

            def store(batch: list[str]) -> None:
                nonlocal at
                packaged, at = self._package(ctx, plan, out, batch, audio_at=at)
                self._store(ctx, out, packaged)

            promote: _Watch | None = None

            def store_finished(percent: float) -> None:
                nonlocal stored, promote
                ctx.progress(percent)
                if promote is not None:
                    promote.check()
                finished = stored
                while finished + 1 < len(names) and (out / written[finished + 1]).is_file():
                    finished += 1
                if finished > stored:
                    store(names[stored:finished])
                    before, stored = stored, finished
                    if before < start <= stored:
                        self.progress.part_done(ctx)  # the start may make the video ready
                        for pid in pids:  # the rest is ahead of any player: yield the cores
                            renice(pid, BACKGROUND_NICE)
                        # ... until a reader waits for a segment of it (ADR 0064)
                        promote = _Watch(self.service, ctx, since=utcnow(), pids=pids)

            cmd = build_audio_command(
                cfg.ffmpeg,
                source,
                str(out),
                layout.AUDIO_RENDITION,
                duration=end,
                boundaries=[plan.seconds(s.start_frame) for s in plan.segments[1:]],
                bitrate=plan.audio_bitrate,
                ts_offset=plan.ts_offset,
                strict=cfg.strict_decode,
                cmaf=plan.cmaf,
            )
            run_ffmpeg(
                cmd,
                duration=end,
                on_progress=store_finished,
                limits=task_limits(cfg.timeout),
                on_start=pids.append,
            )
            store(names[stored:])


FinishedHook = Callable[[str, float, float | None], None]
"""``(outcome, seconds since the transcode was created, seconds of media or None)``."""


class LadderProgress:
    """Counts the stored parts of a video's ladder; the last one makes the video ready.

    ``on_finished`` hears of each transcode that ends (completed or failed) here, since the
    ``transcode`` task ends with its last part, not with a run of its own (metrics)."""

    def __init__(
        self, service: VideoService, storage: Storage, on_finished: FinishedHook | None = None
    ) -> None:
        self.service = service
        self.storage = storage
        self.on_finished = on_finished

    def _finished(self, video_id: str, outcome: str, media_seconds: float | None) -> None:
        if self.on_finished is None:
            return
        row = self.service.repo.get_task(video_id, TaskKind.TRANSCODE)
        if row is not None:
            elapsed = (utcnow() - row.created_at).total_seconds()
            self.on_finished(outcome, max(0.0, elapsed), media_seconds)

    def part_done(self, ctx: TaskContext) -> None:
        try:
            self.update(ctx.video.id)
        except MediaError:  # no plan: the video was deleted meanwhile
            log.info("parts of %s: no plan any more", ctx.video.id)

    def part_failed(self, ctx: TaskContext, code: str, message: str) -> None:
        """A part that fails runs once more (any worker); failing again fails the video."""
        video = self.service.repo.get_video(ctx.video.id)
        if video is None or video.state not in (VideoState.PROCESSING, VideoState.READY):
            return  # deleted, or failed already (by another part); a ready video can fail
        row = self.service.repo.get_task(video.id, ctx.kind, part=ctx.part)
        if row is not None and row.attempts < PART_ATTEMPTS and code not in NO_RETRY:
            retried = self.service.report_task(
                video.id,
                ctx.kind,
                TaskStatus.PENDING,
                0.0,
                part=ctx.part,
                only_if=TaskStatus.FAILED,
            )
            if retried:
                log.info("%s %s of %s failed (%s); once more", ctx.kind, ctx.part, video.id, code)
                self.service.dispatch_again(video.id, ctx.kind, ctx.part)
                return
        fail_video(self.service, video, MediaError(code, message))
        if self.service.report_task(
            video.id,
            TaskKind.TRANSCODE,
            TaskStatus.FAILED,
            0.0,
            error_code=code,
            error=message,
            only_if=TaskStatus.PROCESSING,
        ):
            self._finished(video.id, TaskStatus.FAILED.value, None)

    def update(self, video_id: str) -> bool:
        """Report stored / planned segments on the ``transcode`` row; True once all are."""
        plan = load_plan(self.storage, video_id)
        rows = self.service.repo.list_parts(video_id, PARTS)
        done = {
            t.part
            for t in rows
            if t.kind is TaskKind.TRANSCODE_CHUNK and t.status is TaskStatus.COMPLETED
        }
        audio_done = any(
            t.kind is TaskKind.TRANSCODE_AUDIO and t.status is TaskStatus.COMPLETED for t in rows
        )
        stored = plan.stored_segments(done, audio_done)
        planned = plan.planned_segments()
        video = self.service.repo.get_video(video_id)
        if video is None:
            return False
        if video.state is VideoState.PROCESSING and self._start_stored(
            video_id, plan, done, audio_done
        ):
            self._ready(video, plan)  # ready early: the rest is encoded ahead or on demand
            video = self.service.repo.get_video(video_id) or video
        if stored < planned:
            self.service.report_task(
                video_id,
                TaskKind.TRANSCODE,
                TaskStatus.PROCESSING,
                min(99.9, 100.0 * stored / planned),
                only_if=TaskStatus.PROCESSING,
                forward=True,  # parts finishing at once count a moment apart
            )
            return False
        if video.state is VideoState.READY and self.service.report_task(
            video_id,
            TaskKind.TRANSCODE,
            TaskStatus.COMPLETED,
            100.0,
            only_if=TaskStatus.PROCESSING,
        ):
            self._finished(video_id, TaskStatus.COMPLETED.value, plan.duration)
        return True

    def _start_stored(
        self, video_id: str, plan: SegmentPlan, done: set[int], audio_done: bool
    ) -> bool:
        """Are the plan's ``start_segments`` stored? Those of a completed part are; the
        others (parts store as they go, ADR 0062) are looked up."""
        try:
            self.storage.stat(layout.poster_key(video_id))  # the first chunk renders it
        except FileNotFoundError:
            return False
        prefix = layout.hls_prefix(video_id)
        stored: set[str] = set()
        for name in plan.start_segments():
            audio = name.startswith(layout.AUDIO_RENDITION + "_")
            if not ((audio and audio_done) or (not audio and 0 in done)):
                try:
                    self.storage.stat(prefix + name)
                except FileNotFoundError:
                    return False
            stored.add(name)
        return plan.playable(stored)

    def _ready(self, video: Video, plan: SegmentPlan) -> None:
        video_id = video.id
        renditions = [
            Rendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bitrate=r.video_bitrate + (plan.audio_bitrate or 0),
                playlist=layout.playlist_name(r.name),
            )
            for r in plan.renditions
        ]
        self.service.change_state(
            dataclasses.replace(video),
            VideoState.READY,
            renditions=renditions,
            manifest_key=layout.master_key(video_id),
            poster_key=layout.poster_key(video_id),
            error_code=None,
            error_message=None,
        )
