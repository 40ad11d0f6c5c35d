"""What the chunk and audio encoders share: packaging ffmpeg's output as CMAF
segments and storing them (ADR 0063)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from vidhost.core import layout
from vidhost.core.lifecycle import VideoState
from vidhost.core.ports import Storage, TaskStore
from vidhost.core.segments import (
    AAC_FRAME,
    SegmentPlan,
)
from vidhost.core.videos import VideoService
from vidhost.media import cmaf
from vidhost.media.errors import (
    CORRUPT_MEDIA,
    MediaError,
)
from vidhost.media.formats import input_args
from vidhost.processing.runner import (
    TaskContext,
    forget_if_deleted,
)
from vidhost.processing.transcode.config import (
    M4S,
    MP2T,
    MP4,
    TranscodeConfig,
)
from vidhost.processing.transcode.ladder import LadderProgress
from vidhost.processing.transcode.sources import SourceFiles

log = logging.getLogger(__name__)


class PartEncoder:
    def __init__(
        self,
        service: VideoService,
        tasks: TaskStore,
        storage: Storage,
        config: TranscodeConfig,
        sources: SourceFiles,
        progress: LadderProgress | None = None,
    ) -> None:
        self.service = service
        self.tasks = tasks
        self.storage = storage
        self.config = config
        self.sources = sources
        self.progress = progress or LadderProgress(service, tasks, storage)
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

    def _inits_of_first_frames(
        self, ctx: TaskContext, out: Path, rungs: list[str], first_segment: int
    ) -> list[str]:
        """The init segments of ``rungs`` from their one-frame outputs
        (``build_chunk_command(inits=...)``), written into ``out`` as their stored names:
        the names to store (those not stored yet)."""
        names = []
        for rung in rungs:
            raw = out / f"init-{rung}_{first_segment:05d}.mp4"
            init_name = layout.init_name(rung)
            try:
                self.storage.stat(layout.hls_prefix(ctx.video.id) + init_name)
                continue  # a chunk of that rung stored it meanwhile
            except FileNotFoundError:
                pass
            try:
                init = cmaf.split(raw.read_bytes()).init
            except (OSError, cmaf.CmafError) as exc:
                raise MediaError(
                    CORRUPT_MEDIA, f"the source gave no first frame for {rung}"
                ) from exc
            (out / init_name).write_bytes(init)
            names.append(init_name)
        return names

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
