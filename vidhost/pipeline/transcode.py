"""The transcode task: source -> adaptive HLS ladder + poster, stored under the video."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidhost.domain.lifecycle import VideoState
from vidhost.domain.models import Rendition
from vidhost.domain.ports import Storage
from vidhost.domain.services import VideoService, hls_prefix, source_fields
from vidhost.media.errors import INPUT_ERRORS, MediaError
from vidhost.media.hls import build_hls_command, build_poster_command, rewrite_segment_uris
from vidhost.media.ladder import select_ladder
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.pipeline.probing import MediaProber, ProbeConfig, source_copy, source_info
from vidhost.pipeline.runner import TaskContext

log = logging.getLogger(__name__)

MASTER = "master.m3u8"
POSTER = "poster.jpg"


@dataclass
class TranscodeConfig:
    ffmpeg: str
    heights: Sequence[int]
    segment_seconds: float
    preset: str
    timeout: float
    tmp_dir: Path
    strict_decode: bool = True
    probe: ProbeConfig = field(default_factory=ProbeConfig)


class Transcoder:
    """Reads the source with the probe made at acceptance (an enhanced file is probed in the
    sandbox, with the limits, pinned to the accepted container); a source refused for what
    it is loses its bytes."""

    def __init__(self, service: VideoService, storage: Storage, config: TranscodeConfig) -> None:
        self.service = service
        self.storage = storage
        self.config = config
        self.prober = MediaProber(config.probe)

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        source_key = ctx.source_key  # ``no_source`` before the state changes
        self.service.change_state(video, VideoState.PROCESSING)
        try:
            self._transcode(ctx, source_key)
        except MediaError as exc:
            if exc.code in INPUT_ERRORS:
                self.service.reject_source(video, exc.code, exc.message)
            else:
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

    def _transcode(self, ctx: TaskContext, source_key: str) -> None:
        video = ctx.video
        cfg = self.config
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            source_copy(self.storage, video, source_key) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"hls-{video.id}-") as tmp,
        ):
            info = self.prober.accepted(video, source, source_key)
            if info.video is None:
                raise MediaError("not_a_video", "the source has no video stream")
            v = info.video
            ladder = select_ladder(v.display_width, v.display_height, cfg.heights)
            out = Path(tmp)
            cmd = build_hls_command(
                cfg.ffmpeg,
                str(source),
                str(out),
                ladder,
                has_audio=info.audio is not None,
                fps=v.fps or 25.0,
                segment_seconds=cfg.segment_seconds,
                preset=cfg.preset,
                master_name=MASTER,
                input_format=info.format_name,
            )
            if cfg.strict_decode:
                cmd.insert(1, "-xerror")
            run_ffmpeg(
                cmd,
                duration=info.duration,
                on_progress=ctx.progress,
                limits=task_limits(cfg.timeout),
            )
            poster_at = min(1.0, info.duration / 2) if info.duration else 0.0
            run_ffmpeg(
                build_poster_command(
                    cfg.ffmpeg,
                    str(source),
                    str(out / POSTER),
                    at_seconds=poster_at,
                    width=1280,
                    input_format=info.format_name,
                ),
                duration=None,
                limits=task_limits(cfg.timeout),
            )
            for playlist in out.glob("*.m3u8"):
                if playlist.name != MASTER:
                    playlist.write_text(rewrite_segment_uris(playlist.read_text()))
            prefix = hls_prefix(video.id)
            self.storage.delete_prefix(prefix)  # idempotent re-runs start clean
            # Segments first, playlists last: a stored playlist never names a missing segment.
            files = sorted(out.iterdir(), key=lambda p: (p.suffix == ".m3u8", p.name))
            for path in files:
                if path.name != POSTER:
                    self.storage.put_file(prefix + path.name, path, move=True)
            poster_key = f"videos/{video.id}/{POSTER}"
            self.storage.put_file(poster_key, out / POSTER, move=True)
        renditions = [
            Rendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bitrate=r.video_bitrate + (r.audio_bitrate if info.audio else 0),
                playlist=f"{r.name}.m3u8",
            )
            for r in ladder
        ]
        probed = source_fields(source_info(info))
        for kept in ("source_format", "source_probe"):
            probed.pop(kept)  # the accepted source's stay (this may be the enhanced file)
        self.service.change_state(
            video,
            VideoState.READY,
            renditions=renditions,
            manifest_key=prefix + MASTER,
            poster_key=poster_key,
            **probed,
            error_code=None,
            error_message=None,
        )
