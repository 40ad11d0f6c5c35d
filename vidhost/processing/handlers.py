"""The task handlers a worker runs, built from what they use (the composition root's
part for workers: ``Container.handlers``/``task_runner`` and the processing feature call it).

``transcode_config`` and ``probe_config`` turn settings into the values every handler of a
process shares; the probe limits are the same at upload (``VideoService``) and in tasks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from vidhost.adapters.metrics import transcode_finished
from vidhost.app.settings import Settings
from vidhost.core.caption_generation import CaptionGeneration
from vidhost.core.captions import Captions
from vidhost.core.downloads import StaticRenditions
from vidhost.core.ingest import PartFiles, SourceWay
from vidhost.core.lifecycle import TaskKind
from vidhost.core.ports import Storage, StorageCapabilities, TaskStore
from vidhost.core.videos import VideoService
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.ladder import TALL_HEIGHTS
from vidhost.media.probe_limits import MediaLimits
from vidhost.media.sandbox import MIB, ProcessLimits
from vidhost.media.transcribe import RecognizerConfig
from vidhost.processing.analysis import AnalysisConfig, MetadataExtractor
from vidhost.processing.captions import CaptionGenerator, CaptionsConfig
from vidhost.processing.enhance import EnhanceConfig, Enhancer, LadderFromEnhanced
from vidhost.processing.ingest import IngestTask
from vidhost.processing.probing import ProbeConfig
from vidhost.processing.quality import QualityConfig, QualityMeasurer
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

log = logging.getLogger(__name__)


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
    generation: CaptionGeneration | None = None,
    ingest_ways: Mapping[str, SourceWay] | None = None,
    part_files: PartFiles | None = None,
) -> dict[TaskKind, Handler]:
    """``ingest_ways``: the ways the server makes sources (``Container.ingest_ways``, filled
    by the features as they install; read when a task runs); ``part_files``: the files the
    ``ingest`` task makes for a video's records (the captions feature's text-track pulls)."""
    s = settings
    config = transcode_config(settings, capabilities)
    sources = SourceFiles(storage, config.tmp_dir, config.cache_sources)
    ladder = ladder or LadderProgress(videos, tasks, storage, measure_quality=s.quality_measurement)
    transcode = Transcoder(videos, tasks, storage, config, ladder)
    extra: dict[TaskKind, Handler] = {
        TaskKind.INGEST: IngestTask(
            videos, {} if ingest_ways is None else ingest_ways, s.tmp_dir, part_files
        )
    }
    if statics is not None:
        extra[TaskKind.STATIC_RENDITION] = static_remux(settings, statics, capabilities)
    if s.quality_measurement:
        extra[TaskKind.QUALITY_MEASUREMENT] = QualityMeasurer(
            videos,
            storage,
            QualityConfig(
                ffmpeg=config.ffmpeg,
                tmp_dir=config.tmp_dir,
                timeout=config.timeout,
                windows=s.quality_windows,
                window_seconds=s.quality_window_seconds,
                n_subsample=s.quality_subsample,
            ),
        )
    if generation is not None:
        extra[TaskKind.CAPTIONS] = caption_generator(settings, generation, storage)
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


def static_remux(
    settings: Settings, statics: StaticRenditions, capabilities: StorageCapabilities
) -> StaticRemux:
    return StaticRemux(
        statics.videos,
        statics.storage,
        statics.store,
        ffmpeg=ffmpeg_path(settings.ffmpeg),
        tmp_dir=settings.tmp_dir,
        timeout=settings.ffmpeg_timeout,
        in_place=capabilities.local_files,
    )


def captions_config(settings: Settings) -> CaptionsConfig:
    """The recognizer's settings (ADR 0069); the model folder is resolved by the first task."""
    s = settings
    return CaptionsConfig(
        recognizer=RecognizerConfig(
            ffmpeg=ffmpeg_path(s.ffmpeg),
            model_dir=Path(),
            threads=s.captions_threads,
            beam_size=s.captions_beam_size,
            memory_bytes=s.captions_memory_mb * MIB,
            timeout=s.ffmpeg_timeout,
            tmp_dir=s.tmp_dir,
        ),
        model_setting=s.captions_model,
        models_dir=s.models_dir,
    )


def caption_generator(
    settings: Settings, generation: CaptionGeneration, storage: Storage
) -> CaptionGenerator:
    return CaptionGenerator(generation, storage, captions_config(settings))


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
    captions: Captions | None = None,
    generation: CaptionGeneration | None = None,
    ingest_ways: Mapping[str, SourceWay] | None = None,
    part_files: PartFiles | None = None,
) -> TaskRunner:
    ladder = LadderProgress(
        videos,
        tasks,
        storage,
        on_finished=transcode_finished,
        measure_quality=settings.quality_measurement,
        publish=captions.publish if captions is not None else None,
    )
    handlers = make_handlers(
        settings,
        videos,
        tasks,
        storage,
        capabilities,
        ladder,
        statics,
        generation,
        ingest_ways,
        part_files,
    )
    on_completed: dict[TaskKind, Hook] = {kind: ladder.part_done for kind in PARTS}
    on_failed: dict[TaskKind, FailureHook] = {kind: ladder.part_failed for kind in PARTS}
    ingest = handlers[TaskKind.INGEST]
    assert isinstance(ingest, IngestTask)
    on_failed[TaskKind.INGEST] = ingest.failed
    if statics is not None:
        # a stored part may complete a rung a static rendition waits for (ADR 0065)
        def advance(ctx: TaskContext) -> None:
            statics.advance(ctx.video.id)

        on_completed = {kind: _then(hook, advance) for kind, hook in on_completed.items()}
        remux = handlers[TaskKind.STATIC_RENDITION]
        assert isinstance(remux, StaticRemux)
        on_failed[TaskKind.STATIC_RENDITION] = remux.failed
    if captions is not None:
        # the master names the video's text tracks, added before it had a plan (ADR 0068):
        # written before the part's own hook, which may make the video ready
        def publish(ctx: TaskContext) -> None:
            try:
                captions.refresh(ctx.video.id)
            except Exception:  # never keeps the part's own hook from running
                log.exception("publishing the text tracks of %s failed", ctx.video.id)

        # before the part's hook (which may make the video ready: its master names the
        # tracks then) and after it (the ladder's last part rewrites the master with the
        # measured rates, ADR 0045)
        on_completed = {
            kind: _then(_then(publish, hook), publish) for kind, hook in on_completed.items()
        }
    if generation is not None:
        # a stored part may have made the video ready: captions asked for start (ADR 0069)
        def generate(ctx: TaskContext) -> None:
            generation.advance(ctx.video.id)

        on_completed = {kind: _then(hook, generate) for kind, hook in on_completed.items()}
        generator = handlers[TaskKind.CAPTIONS]
        assert isinstance(generator, CaptionGenerator)
        on_failed[TaskKind.CAPTIONS] = generator.failed
    return TaskRunner(
        videos,
        tasks,
        handlers,
        stale_after=settings.task_stale_after,
        heartbeat_interval=settings.task_heartbeat_interval,
        on_completed=on_completed,
        on_failed=on_failed,
    )
