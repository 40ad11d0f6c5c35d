"""The video_enhancement task, and the transcode hand-off when enhancement feeds the ladder."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vidhost.core.lifecycle import TaskKind
from vidhost.core.models import present
from vidhost.core.planner import EnhanceMode, enhanced_extension, enhanced_key, enhancement_spec
from vidhost.core.ports import Storage
from vidhost.core.videos import VideoService
from vidhost.media.enhance import (
    CONTAINERS,
    EnhanceOptions,
    EnhanceSpecError,
    audio_filters,
    detect_command,
    detect_filters,
    enhance_command,
    measure_command,
    parse_spec,
    video_filters,
)
from vidhost.media.errors import CORRUPT_MEDIA, NOT_A_VIDEO, MediaError
from vidhost.media.loudness import measure_loudness
from vidhost.media.probe import MediaInfo, probe
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.processing.probing import MediaProber, ProbeConfig, source_copy
from vidhost.processing.runner import Handler, TaskContext, TaskFailed, forget_if_deleted

log = logging.getLogger(__name__)

INTERLACED_ORDERS = frozenset({"tt", "bb", "tb", "bt"})
_DETECT_SHARE = 40.0  # percent of the progress bar given to the vidstabdetect pass


@dataclass
class EnhanceConfig:
    ffmpeg: str
    mode: EnhanceMode
    default_preset: str
    x264_preset: str
    crf: int
    timeout: float
    tmp_dir: Path
    probe: ProbeConfig = field(default_factory=ProbeConfig)


def _stage(progress: Callable[[float], None], start: float, end: float) -> Callable[[float], None]:
    return lambda p: progress(start + (end - start) * min(100.0, p) / 100.0)


def is_interlaced(info: MediaInfo) -> bool:
    return info.video is not None and info.video.field_order in INTERLACED_ORDERS


class Enhancer:
    """Writes ``enhanced_{id}.{ext}``; never changes the video's state.

    Whatever happens, when it ends it starts the transcode if the planner left that to it
    (enhancement feeding the ladder): from the enhanced file, or the source if this failed.
    """

    def __init__(self, service: VideoService, storage: Storage, config: EnhanceConfig) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.prober = MediaProber(config.probe)

    def __call__(self, ctx: TaskContext) -> None:
        try:
            self._enhance(ctx)
        finally:
            self._release_transcode(ctx.video.id)

    def options_for(self, ctx: TaskContext) -> EnhanceOptions:
        cfg = self.config
        spec = enhancement_spec(ctx.video, cfg.mode, cfg.default_preset) or cfg.default_preset
        try:
            return parse_spec(spec)
        except EnhanceSpecError as exc:
            raise TaskFailed(exc.code, exc.message) from None

    def _enhance(self, ctx: TaskContext) -> None:
        video = ctx.video
        cfg = self.config
        options = self.options_for(ctx)
        source_key = ctx.source_key
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        ext = enhanced_extension(video.filename)
        with (
            source_copy(self.storage, video, source_key) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"enh-{video.id}-") as tmp,
        ):
            info = self.prober.accepted(video, source, source_key)
            pinned = info.format_name
            if info.video is None:
                raise MediaError(NOT_A_VIDEO, "the source has no video stream")
            interlaced = is_interlaced(info)
            transforms = None
            start = 0.0
            if options.stabilize:
                transforms = str(Path(tmp) / "transforms.trf")
                run_ffmpeg(
                    detect_command(
                        cfg.ffmpeg,
                        str(source),
                        detect_filters(options, interlaced=interlaced, transforms=transforms),
                        input_format=pinned,
                    ),
                    duration=info.duration,
                    on_progress=_stage(ctx.progress, 0.0, _DETECT_SHARE),
                    limits=task_limits(cfg.timeout),
                )
                start = _DETECT_SHARE
            measured = None
            if options.loudnorm and info.audio is not None:
                measured = measure_loudness(
                    measure_command(cfg.ffmpeg, str(source), options, input_format=pinned),
                    timeout=cfg.timeout,
                )
            out = Path(tmp) / f"enhanced.{ext}"
            run_ffmpeg(
                enhance_command(
                    cfg.ffmpeg,
                    str(source),
                    str(out),
                    vf=video_filters(options, interlaced=interlaced, transforms=transforms),
                    af=audio_filters(options, measured),
                    has_audio=info.audio is not None,
                    container=CONTAINERS[ext],
                    x264_preset=cfg.x264_preset,
                    crf=cfg.crf,
                    input_format=pinned,
                ),
                duration=info.duration,
                on_progress=_stage(ctx.progress, start, 99.0),
                limits=task_limits(cfg.timeout),
            )
            result = probe(out)
            if result.video is None:
                raise MediaError(CORRUPT_MEDIA, "the enhanced file has no video stream")
            self.storage.put_file(enhanced_key(video), out, move=True)
        forget_if_deleted(self.service, video.id)
        log.info("enhanced %s (deinterlaced=%s, loudness=%s)", video.id, interlaced, measured)

    def _release_transcode(self, video_id: str) -> None:
        if self.service.task(video_id, TaskKind.TRANSCODE) is not None:
            return
        if not present(self.service.find(video_id)):
            return
        self.service.start_tasks(video_id, [TaskKind.TRANSCODE])


class LadderFromEnhanced:
    """Wraps the transcode handler: cut the ladder from the enhanced file when there is one."""

    def __init__(self, transcode: Handler, storage: Storage) -> None:
        self.transcode = transcode
        self.storage = storage

    def __call__(self, ctx: TaskContext) -> None:
        key = enhanced_key(ctx.video)
        try:
            self.storage.stat(key)
        except FileNotFoundError:
            self.transcode(ctx)
            return
        # Our own output: no accepted ETag or container to hold it to (readers stay allow-listed).
        video = dataclasses.replace(
            ctx.video, source_key=key, source_etag=None, source_format=None, source_probe=None
        )
        self.transcode(dataclasses.replace(ctx, video=video))
