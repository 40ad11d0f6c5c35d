"""The metadata_extraction task: probe + sampled colour profile -> metadata JSON in storage."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from vidhost.core.planner import metadata_key
from vidhost.core.ports import Storage
from vidhost.core.scheduling import BACKGROUND_NICE
from vidhost.core.videos import VideoService
from vidhost.media.analysis import analyse_colors, metadata_document
from vidhost.media.errors import NOT_A_VIDEO, MediaError
from vidhost.media.process import run_niced
from vidhost.media.sampling import FULL_DECODE_MAX_FRAMES, MAX_SAMPLES
from vidhost.processing.probing import MediaProber, ProbeConfig, source_copy
from vidhost.processing.runner import TaskContext, forget_if_deleted

log = logging.getLogger(__name__)

_PROBED = 2.0  # percent reported once probing is done


@dataclass
class AnalysisConfig:
    full_decode_max_frames: int = FULL_DECODE_MAX_FRAMES
    max_samples: int = MAX_SAMPLES
    probe: ProbeConfig = field(default_factory=ProbeConfig)


class MetadataExtractor:
    """Never changes the video's state: a failed analysis leaves playback alone."""

    def __init__(self, service: VideoService, storage: Storage, config: AnalysisConfig) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.prober = MediaProber(config.probe)

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        source_key = ctx.source_key
        try:
            with source_copy(self.storage, video, source_key) as path:
                info = self.prober.accepted(video, path, source_key)
                if info.video is None:
                    raise MediaError(NOT_A_VIDEO, "the source has no video stream")
                ctx.progress(_PROBED)
                stream = info.video
                # Nobody waits for it the way a viewer waits for the start of the ladder: it
                # decodes at background priority, beside the first chunk, not against it.
                colors = run_niced(
                    BACKGROUND_NICE,
                    lambda: analyse_colors(
                        path,
                        duration=info.duration,
                        frame_count=stream.frame_count,
                        fps=stream.fps,
                        on_progress=lambda p: ctx.progress(_PROBED + p * (97.0 - _PROBED) / 100),
                        full_decode_max_frames=self.config.full_decode_max_frames,
                        max_samples=self.config.max_samples,
                        format_name=info.format_name,
                    ),
                )
        except FileNotFoundError:
            raise MediaError("source_missing", "the uploaded source is not in storage") from None
        document = metadata_document(
            file_id=video.id, filename=video.filename, info=info, colors=colors
        )
        self.storage.put_bytes(
            metadata_key(video.id),
            json.dumps(document, separators=(",", ":")).encode(),
            content_type="application/json",
        )
        forget_if_deleted(self.service, video.id)  # deleted while we wrote: gone again
        log.info(
            "metadata for %s: %s sampling, %d frames analysed",
            video.id,
            colors.plan.mode,
            colors.report.decoded,
        )
