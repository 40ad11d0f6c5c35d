"""The task handlers a worker runs, built from what they use (the composition root's
part for workers: ``Container.handlers``/``task_runner`` and the processing feature call it).

``transcode_config`` and ``probe_config`` turn settings into the values every handler of a
process shares; the probe limits are the same at upload (``VideoService``) and in tasks."""

from __future__ import annotations

from vidhost.adapters.metrics import transcode_finished
from vidhost.app.settings import Settings
from vidhost.core.downloads import StaticRenditions
from vidhost.core.lifecycle import TaskKind
from vidhost.core.ports import Storage, StorageCapabilities, TaskStore
from vidhost.core.videos import VideoService
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.ladder import TALL_HEIGHTS
from vidhost.media.probe_limits import MediaLimits
from vidhost.media.sandbox import MIB, ProcessLimits
from vidhost.processing.analysis import AnalysisConfig, MetadataExtractor
from vidhost.processing.enhance import EnhanceConfig, Enhancer, LadderFromEnhanced
from vidhost.processing.probing import ProbeConfig
from vidhost.processing.runner import FailureHook, Handler, Hook, TaskContext, TaskRunner
from vidhost.processing.static_remux import StaticRemux
from vidhost.processing.transcode import (
    PARTS,
    AudioEncoder,
    ChunkEncoder,
    LadderProgress,
    SourceFiles,
    TranscodeConfig,
    Transcoder,
)


def probe_config(settings: Settings) -> ProbeConfig:
    """Media limits and probe-sandbox bounds: the same at upload and in every task."""
    return ProbeConfig(
        limits=MediaLimits(
            max_width=settings.max_video_width,
            max_height=settings.max_video_height,
            max_pixels=settings.max_video_pixels,
            max_duration=settings.max_duration_seconds,
            max_fps=settings.max_video_fps,
            max_streams=settings.max_video_streams,
        ),
        sandbox=ProcessLimits(
            timeout=settings.probe_timeout,
            memory_bytes=settings.probe_memory_mb * MIB,
            max_files=64,
            max_file_bytes=0,
        ),
    )


def ladder_heights(heights: list[int], ceiling: int) -> list[int]:
    """The configured rungs, and the tall ones (1440p, 2160p) the ceiling admits, up to it."""
    return sorted({h for h in (*heights, *TALL_HEIGHTS) if 0 < h <= ceiling}, reverse=True)


def transcode_config(settings: Settings, capabilities: StorageCapabilities) -> TranscodeConfig:
    s = settings
    return TranscodeConfig(
        ffmpeg=ffmpeg_path(s.ffmpeg),
        heights=ladder_heights(s.ladder_heights, s.max_resolution),
        segment_seconds=s.segment_seconds,
        opening_seconds=s.opening_segments,
        preset=s.x264_preset,
        quality_target=s.quality_target,
        timeout=s.ffmpeg_timeout,
        tmp_dir=s.tmp_dir,
        strict_decode=s.strict_decode,
        chunk_seconds=s.chunk_seconds,
        first_chunk_seconds=s.first_chunk_seconds,
        packaging=s.segment_format,
        probe=probe_config(s),
        cache_sources=0 if capabilities.local_files else 2,
    )


def make_handlers(
    settings: Settings,
    videos: VideoService,
    tasks: TaskStore,
    storage: Storage,
    capabilities: StorageCapabilities,
    ladder: LadderProgress | None = None,
    statics: StaticRenditions | None = None,
) -> dict[TaskKind, Handler]:
    s = settings
    config = transcode_config(settings, capabilities)
    sources = SourceFiles(storage, config.tmp_dir, config.cache_sources)
    ladder = ladder or LadderProgress(videos, tasks, storage)
    transcode = Transcoder(videos, tasks, storage, config, ladder)
    extra: dict[TaskKind, Handler] = {}
    if statics is not None:
        extra[TaskKind.STATIC_RENDITION] = static_remux(settings, statics)
    return {
        **extra,
        TaskKind.TRANSCODE: (
            LadderFromEnhanced(transcode, storage) if s.enhance_feeds_ladder else transcode
        ),
        TaskKind.TRANSCODE_CHUNK: ChunkEncoder(videos, tasks, storage, config, sources, ladder),
        TaskKind.TRANSCODE_AUDIO: AudioEncoder(videos, tasks, storage, config, sources, ladder),
        TaskKind.METADATA_EXTRACTION: MetadataExtractor(
            videos,
            storage,
            AnalysisConfig(
                full_decode_max_frames=s.analysis_full_decode_max_frames,
                max_samples=s.analysis_max_samples,
                probe=config.probe,
            ),
        ),
        TaskKind.VIDEO_ENHANCEMENT: Enhancer(
            videos,
            storage,
            EnhanceConfig(
                ffmpeg=config.ffmpeg,
                mode=s.enhance,
                default_preset=s.enhance_preset,
                x264_preset=s.x264_preset,
                crf=s.enhance_crf,
                timeout=config.timeout,
                tmp_dir=config.tmp_dir,
                probe=config.probe,
            ),
        ),
    }


def static_remux(settings: Settings, statics: StaticRenditions) -> StaticRemux:
    return StaticRemux(
        statics.videos,
        statics.storage,
        statics.store,
        ffmpeg=ffmpeg_path(settings.ffmpeg),
        tmp_dir=settings.tmp_dir,
        timeout=settings.ffmpeg_timeout,
    )


def _then(first: Hook, second: Hook) -> Hook:
    def both(ctx: TaskContext) -> None:
        first(ctx)
        second(ctx)

    return both


def make_task_runner(
    settings: Settings,
    videos: VideoService,
    tasks: TaskStore,
    storage: Storage,
    capabilities: StorageCapabilities,
    statics: StaticRenditions | None = None,
) -> TaskRunner:
    ladder = LadderProgress(videos, tasks, storage, on_finished=transcode_finished)
    handlers = make_handlers(settings, videos, tasks, storage, capabilities, ladder, statics)
    on_completed: dict[TaskKind, Hook] = {kind: ladder.part_done for kind in PARTS}
    on_failed: dict[TaskKind, FailureHook] = {kind: ladder.part_failed for kind in PARTS}
    if statics is not None:
        # a stored part may complete a rung a static rendition waits for (ADR 0065)
        def advance(ctx: TaskContext) -> None:
            statics.advance(ctx.video.id)

        on_completed = {kind: _then(hook, advance) for kind, hook in on_completed.items()}
        remux = handlers[TaskKind.STATIC_RENDITION]
        assert isinstance(remux, StaticRemux)
        on_failed[TaskKind.STATIC_RENDITION] = remux.failed
    return TaskRunner(
        videos,
        tasks,
        handlers,
        stale_after=settings.task_stale_after,
        heartbeat_interval=settings.task_heartbeat_interval,
        on_completed=on_completed,
        on_failed=on_failed,
    )
