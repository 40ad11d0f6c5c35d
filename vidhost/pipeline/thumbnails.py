"""On-demand stills, storyboards and animated previews, rendered once and cached in storage.

Frames come from the best available rendition: the enhanced file when it feeds the ladder (so
thumbnails match playback), otherwise the original upload (frame-exact seeking, and at least
the quality of every HLS rendition). Results are cached under ``videos/{id}/media/`` and so
go away with the video.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidhost.domain.errors import DomainError, NotReady
from vidhost.domain.lifecycle import VideoState
from vidhost.domain.models import Video
from vidhost.domain.ports import ObjectInfo, Storage
from vidhost.domain.processing import enhanced_key, media_prefix
from vidhost.media.errors import MediaError
from vidhost.media.runner import run_ffmpeg
from vidhost.media.thumbs import (
    preview_command,
    storyboard_command,
    storyboard_layout,
    storyboard_vtt,
    thumbnail_command,
)

SPRITE = "storyboard.jpg"
_READABLE = frozenset({VideoState.UPLOADED, VideoState.PROCESSING, VideoState.READY})


class RenderFailed(DomainError):
    code = "render_failed"


@dataclass
class RenderConfig:
    ffmpeg: str
    tmp_dir: Path
    feeds_ladder: bool
    timeout: float = 300.0
    storyboard_interval: float = 2.0
    storyboard_tile_width: int = 160


@dataclass(frozen=True)
class Still:
    time: float
    width: int | None
    height: int | None
    fit: str
    fmt: str


class MediaRenderer:
    def __init__(self, storage: Storage, config: RenderConfig) -> None:
        self.storage = storage
        self.config = config

    def source(self, video: Video) -> tuple[str, str]:
        """(storage key, cache tag) of the file frames are taken from."""
        if video.state not in _READABLE or video.source_key is None:
            raise NotReady(f"video is {video.state.value}; no frames to show yet")
        if self.config.feeds_ladder:
            try:
                return self.storage.stat(enhanced_key(video)).key, "enh"
            except FileNotFoundError:
                pass
        return video.source_key, "src"

    def still(self, video: Video, still: Still) -> ObjectInfo:
        key, tag = self.source(video)
        duration = video.duration or 0.0
        frame = 1.0 / video.fps if video.fps else 0.04
        at = min(still.time, max(0.0, duration - max(0.05, frame)))
        name = (
            f"thumb_{tag}_{round(at * 10)}_{still.width or 0}x{still.height or 0}"
            f"_{still.fit}.{still.fmt}"
        )
        return self._cached(
            video,
            name,
            key,
            lambda src, out: thumbnail_command(
                self.config.ffmpeg,
                src,
                out,
                at=round(at, 1),
                width=still.width,
                height=still.height,
                fit=still.fit,
                fmt=still.fmt,
            ),
        )

    def storyboard(self, video: Video) -> tuple[ObjectInfo, str]:
        """The sprite sheet and its WebVTT index (tile URLs relative to the .vtt)."""
        key, tag = self.source(video)
        duration = video.duration or 0.0
        layout = storyboard_layout(
            duration,
            video.width or 16,
            video.height or 9,
            interval=self.config.storyboard_interval,
            tile_width=self.config.storyboard_tile_width,
        )
        sprite = self._cached(
            video,
            f"storyboard_{tag}.jpg",
            key,
            lambda src, out: storyboard_command(
                self.config.ffmpeg, src, out, layout, duration=duration
            ),
        )
        return sprite, storyboard_vtt(layout, duration, SPRITE)

    def preview(
        self, video: Video, *, start: float, duration: float, width: int, fps: int, fmt: str
    ) -> ObjectInfo:
        key, tag = self.source(video)
        total = video.duration or 0.0
        start = min(start, max(0.0, total - 0.1))
        name = f"preview_{tag}_{round(start * 10)}_{round(duration * 10)}_{width}_{fps}.{fmt}"
        return self._cached(
            video,
            name,
            key,
            lambda src, out: preview_command(
                self.config.ffmpeg,
                src,
                out,
                start=round(start, 1),
                duration=round(duration, 1),
                width=width,
                fps=fps,
                fmt=fmt,
            ),
        )

    def _cached(
        self, video: Video, name: str, source_key: str, build: Callable[[str, str], list[str]]
    ) -> ObjectInfo:
        cache_key = media_prefix(video.id) + name
        try:
            return self.storage.stat(cache_key)
        except FileNotFoundError:
            pass
        self.config.tmp_dir.mkdir(parents=True, exist_ok=True)
        try:
            with (
                self.storage.local_copy(source_key) as source,
                tempfile.TemporaryDirectory(dir=self.config.tmp_dir, prefix="render-") as tmp,
            ):
                out = Path(tmp) / name
                run_ffmpeg(build(str(source), str(out)), duration=None, timeout=self.config.timeout)
                if not out.is_file() or out.stat().st_size == 0:
                    raise RenderFailed("ffmpeg produced no image for this request")
                return self.storage.put_file(cache_key, out, move=True)
        except FileNotFoundError:
            raise NotReady("the video's source is not in storage") from None
        except MediaError as exc:
            raise RenderFailed(f"rendering failed: {exc.message}") from exc
