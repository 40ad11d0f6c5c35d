"""The transcode: a segment plan, then chunk tasks and one audio task (ADR 0060).

- ``transcode`` (``Transcoder``): fixes the segment plan from the probed source, stores it and
  every playlist (master, one per rung, audio) before a frame is encoded, renders the poster,
  then creates one ``transcode_chunk`` task per chunk and one ``transcode_audio`` task, and
  dispatches them. Its row stays ``processing``; its progress is stored segments / planned.
- ``transcode_chunk`` (``ChunkEncoder``): decodes only its chunk's time range of the source
  (read through the storage port: a pre-signed GET URL with S3, the file itself locally),
  encodes every rung, stores the chunk's segments.
- ``transcode_audio`` (``AudioEncoder``): encodes the audio once, segmented on the same
  boundaries, stored as the audio rendition.
- ``LadderProgress``: after each part, counts what is stored; when every part is, the video
  becomes ``ready`` and the ``transcode`` task ``completed``. A part that fails fails both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidhost.domain import layout
from vidhost.domain.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.domain.models import Rendition, Video
from vidhost.domain.ports import PresignedDownloads, Storage
from vidhost.domain.segments import (
    PlannedRendition,
    SegmentPlan,
    make_plan,
    master_playlist,
    media_playlist,
)
from vidhost.domain.services import VideoService
from vidhost.media.chunks import ChunkRung, build_audio_command, build_chunk_command
from vidhost.media.errors import CORRUPT_MEDIA, MediaError
from vidhost.media.hls import build_poster_command, codecs_string
from vidhost.media.ladder import select_ladder
from vidhost.media.probe import probe
from vidhost.media.runner import run_ffmpeg
from vidhost.pipeline.runner import TaskContext, TaskContinues

log = logging.getLogger(__name__)

PARTS = (TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO)
URL_PROTOCOLS = "https,http,tls,tcp,crypto"
"""What ffmpeg may open when it reads a source from a pre-signed URL."""


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
    url_ttl: int = 6 * 3600
    """Lifetime of the pre-signed source URL a chunk reads from (S3)."""


class SourceReader:
    """ffmpeg input arguments for an object: a pre-signed GET URL when the storage can sign
    one (S3: ffmpeg reads only the byte ranges it needs), else the local file."""

    def __init__(self, storage: Storage, downloads: PresignedDownloads | None, ttl: int) -> None:
        self.storage = storage
        self.downloads = downloads
        self.ttl = ttl

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[tuple[list[str], str]]:
        """``(input_args, location)``: ``input_args`` ends with ``-i <location>``."""
        if self.downloads is not None:
            self.storage.stat(key)  # FileNotFoundError, not an ffmpeg HTTP error
            url = self.downloads.presign_get(key, expires_in=self.ttl)
            yield ["-protocol_whitelist", URL_PROTOCOLS, "-i", url], url
            return
        with self.storage.local_copy(key) as path:
            yield ["-i", str(path)], str(path)


def load_plan(storage: Storage, video_id: str) -> SegmentPlan:
    try:
        return SegmentPlan.from_json(storage.get_bytes(layout.plan_key(video_id)))
    except FileNotFoundError:
        raise MediaError("no_plan", "the video has no segment plan") from None


class Transcoder:
    """The ``transcode`` task: plan, playlists, poster, then the chunk and audio tasks."""

    def __init__(
        self,
        service: VideoService,
        storage: Storage,
        config: TranscodeConfig,
        reader: SourceReader | None = None,
    ) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.reader = reader or SourceReader(storage, None, config.url_ttl)
        self.progress = LadderProgress(service, storage)

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        source_key = ctx.source_key  # ``no_source`` before the state changes
        self.service.change_state(video, VideoState.PROCESSING)
        try:
            plan = self._plan(ctx, source_key)
        except MediaError as exc:
            self.service.change_state(
                video, VideoState.FAILED, error_code=exc.code, error_message=exc.message
            )
            raise
        except Exception as exc:
            self.service.change_state(
                video,
                VideoState.FAILED,
                error_code="internal_error",
                error_message=f"processing failed: {type(exc).__name__}",
            )
            raise
        parts = [(TaskKind.TRANSCODE_CHUNK, c.index) for c in plan.chunks]
        if plan.has_audio:
            parts.append((TaskKind.TRANSCODE_AUDIO, 0))
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
                return plan  # a re-run: the plan, playlists and poster are stored already
        except MediaError:
            pass
        plan = self._make_plan(video, source_key)
        ctx.check_claim()
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
        self.storage.put_bytes(
            layout.master_key(video.id),
            master_playlist(plan).encode(),
            content_type="application/vnd.apple.mpegurl",
        )
        self._poster(video, source_key, plan)
        self.storage.put_bytes(layout.plan_key(video.id), plan.to_json())
        return plan

    def _make_plan(self, video: Video, source_key: str) -> SegmentPlan:
        cfg = self.config
        duration, fps, width, height = video.duration, video.fps, video.width, video.height
        has_audio = video.audio_codec is not None
        if source_key != video.source_key or not (duration and width and height):
            # Another file (the enhanced one) or no stored probe: probe the file itself.
            with self.storage.local_copy(source_key) as path:
                info = probe(path)
            if info.video is None:
                raise MediaError("not_a_video", "the source has no video stream")
            duration, fps = info.duration, info.video.fps
            width, height = info.video.display_width, info.video.display_height
            has_audio = info.audio is not None
        assert duration and width and height
        ladder = select_ladder(width, height, cfg.heights)
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
                codecs=codecs_string(r, has_audio=has_audio, fps=fps or 30.0),
            )
            for r in ladder
        )
        return make_plan(
            source_key=source_key,
            duration=duration,
            fps=fps,
            segment_seconds=cfg.segment_seconds,
            chunk_seconds=cfg.chunk_seconds,
            first_chunk_seconds=cfg.first_chunk_seconds or cfg.segment_seconds,
            renditions=renditions,
            audio_bitrate=audio_bitrate,
        )

    def _poster(self, video: Video, source_key: str, plan: SegmentPlan) -> None:
        cfg = self.config
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        at = min(1.0, plan.duration / 2)
        with (
            self.reader.open(source_key) as (_, location),
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"poster-{video.id}-") as tmp,
        ):
            out = Path(tmp) / layout.POSTER
            cmd = build_poster_command(cfg.ffmpeg, location, str(out), at_seconds=at, width=1280)
            if location.startswith("http"):
                cmd[cmd.index("-i") : cmd.index("-i")] = ["-protocol_whitelist", URL_PROTOCOLS]
            run_ffmpeg(cmd, duration=None, timeout=cfg.timeout)
            self.storage.put_file(layout.poster_key(video.id), out, move=True)


class _PartEncoder:
    def __init__(self, storage: Storage, config: TranscodeConfig, reader: SourceReader) -> None:
        self.storage = storage
        self.config = config
        self.reader = reader

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
        for name in names:
            self.storage.put_file(prefix + name, out / name, move=True)


class ChunkEncoder(_PartEncoder):
    """``transcode_chunk``: every rung of one chunk's segments."""

    def __call__(self, ctx: TaskContext) -> None:
        cfg = self.config
        plan = load_plan(self.storage, ctx.video.id)
        if not 0 <= ctx.part < len(plan.chunks):
            raise MediaError("no_chunk", f"the plan has no chunk {ctx.part}")
        chunk = plan.chunks[ctx.part]
        segments = plan.chunk_segments(chunk)
        start, end = plan.chunk_frames(chunk)
        last = chunk.index == len(plan.chunks) - 1
        rungs = [
            ChunkRung(r.name, r.width, r.height, r.video_bitrate, r.max_bitrate, r.buffer_size)
            for r in plan.renditions
        ]
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            self.reader.open(plan.source_key) as (input_args, _),
            tempfile.TemporaryDirectory(
                dir=cfg.tmp_dir, prefix=f"chunk-{ctx.video.id}-{chunk.index}-"
            ) as tmp,
        ):
            out = Path(tmp)
            cmd = build_chunk_command(
                cfg.ffmpeg,
                input_args,
                str(out),
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
            )
            run_ffmpeg(
                cmd,
                duration=plan.seconds(end - start),
                on_progress=ctx.progress,
                timeout=cfg.timeout,
            )
            names = [layout.segment_name(r.name, s.index) for r in rungs for s in segments]
            self._store(ctx, out, names)


class AudioEncoder(_PartEncoder):
    """``transcode_audio``: the audio rendition, encoded once, cut on the plan's boundaries."""

    def __call__(self, ctx: TaskContext) -> None:
        cfg = self.config
        plan = load_plan(self.storage, ctx.video.id)
        if plan.audio_bitrate is None:
            return
        end = plan.seconds(plan.total_frames)
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            self.reader.open(plan.source_key) as (input_args, _),
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"audio-{ctx.video.id}-") as tmp,
        ):
            out = Path(tmp)
            cmd = build_audio_command(
                cfg.ffmpeg,
                input_args,
                str(out),
                layout.AUDIO_RENDITION,
                duration=end,
                boundaries=[plan.seconds(s.start_frame) for s in plan.segments[1:]],
                bitrate=plan.audio_bitrate,
                ts_offset=plan.ts_offset,
                strict=cfg.strict_decode,
            )
            run_ffmpeg(cmd, duration=end, on_progress=ctx.progress, timeout=cfg.timeout)
            names = [layout.segment_name(layout.AUDIO_RENDITION, s.index) for s in plan.segments]
            self._store(ctx, out, names)


class LadderProgress:
    """Counts the stored parts of a video's ladder; the last one makes the video ready."""

    def __init__(self, service: VideoService, storage: Storage) -> None:
        self.service = service
        self.storage = storage

    def part_done(self, ctx: TaskContext) -> None:
        self.update(ctx.video.id)

    def part_failed(self, ctx: TaskContext, code: str, message: str) -> None:
        video = self.service.repo.get_video(ctx.video.id)
        if video is None:
            return
        self.service.change_state(video, VideoState.FAILED, error_code=code, error_message=message)
        self.service.report_task(
            video.id,
            TaskKind.TRANSCODE,
            TaskStatus.FAILED,
            0.0,
            error_code=code,
            error=message,
            only_if=TaskStatus.PROCESSING,
        )

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
        if stored < planned:
            self.service.report_task(
                video_id,
                TaskKind.TRANSCODE,
                TaskStatus.PROCESSING,
                min(99.9, 100.0 * stored / planned),
                only_if=TaskStatus.PROCESSING,
            )
            return False
        self._ready(video_id, plan)
        return True

    def _ready(self, video_id: str, plan: SegmentPlan) -> None:
        video = self.service.repo.get_video(video_id)
        if video is None:
            return
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
        became_ready = self.service.change_state(
            dataclasses.replace(video),
            VideoState.READY,
            renditions=renditions,
            manifest_key=layout.master_key(video_id),
            poster_key=layout.poster_key(video_id),
            error_code=None,
            error_message=None,
        )
        if became_ready or video.state is VideoState.READY:
            self.service.report_task(
                video_id,
                TaskKind.TRANSCODE,
                TaskStatus.COMPLETED,
                100.0,
                only_if=TaskStatus.PROCESSING,
            )
