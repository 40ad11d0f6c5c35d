"""On-demand stills, storyboards and animated previews, rendered once and cached in storage.

Frames come from the best available rendition: the enhanced file when it feeds the ladder (so
thumbnails match playback), otherwise the original upload (frame-exact seeking, and at least
the quality of every HLS rendition). Results are cached under ``videos/{id}/media/`` and so
go away with the video.

Renders read untrusted bytes on the API process's machine (ADR 0051): the source is opened
pinned to the container accepted at upload, from the file protocol only, and only while its
ETag is the accepted one (``source_changed`` otherwise); each ffmpeg run has memory, file and
time limits; and at most ``RenderGate.limit`` renders run at once per process (a request
waits ``RenderGate.wait`` seconds for a slot, then gets ``render_busy``). Cached results
need no slot.
"""

from __future__ import annotations

import math
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vidhost.core.errors import Conflict, DomainError, NotFound, NotReady
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.core.planner import enhanced_key, media_prefix
from vidhost.core.ports import ObjectInfo, Storage
from vidhost.core.thumbnails import RenderBusy, Still
from vidhost.media.errors import FFMPEG_TIMEOUT, SOURCE_CHANGED, MediaError
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import MIB, ProcessLimits
from vidhost.media.thumbs import (
    preview_command,
    storyboard_command,
    storyboard_layout,
    storyboard_vtt,
    thumbnail_command,
)
from vidhost.processing.probing import source_copy

SPRITE = "storyboard.jpg"
_READABLE = frozenset({VideoState.UPLOADED, VideoState.PROCESSING, VideoState.READY})


class RenderFailed(DomainError):
    code = "render_failed"


def no_video_stream() -> NotFound:
    return NotFound(
        "the video is audio-only: no thumbnails, storyboards or previews (its poster is a "
        "waveform)",
        code="no_video_stream",
    )


class RenderGate:
    """At most ``limit`` on-demand renders at once in this process; one gate per process."""

    def __init__(self, limit: int, *, wait: float = 2.0, retry_after: int = 2) -> None:
        self.limit = limit
        self.wait = wait
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> RenderGate:
        if not self._slots.acquire(timeout=self.wait):
            raise RenderBusy(
                f"all {self.limit} render slots are busy; retry shortly",
                retry_after=self.retry_after,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()


@dataclass
class RenderConfig:
    ffmpeg: str
    tmp_dir: Path
    feeds_ladder: bool
    timeout: float = 300.0
    storyboard_interval: float = 2.0
    storyboard_tile_width: int = 160
    gate: RenderGate = field(default_factory=lambda: RenderGate(2))
    """Share one per process (``vidhost.delivery.thumbnails.feature``)."""
    memory_bytes: int | None = 1024 * MIB
    """Address space of each render's ffmpeg."""


class MediaRenderer:
    """``core.thumbnails.Renderer`` with ffmpeg, under the limits and the gate above."""

    def __init__(self, storage: Storage, config: RenderConfig) -> None:
        self.storage = storage
        self.config = config

    def source(self, video: Video) -> tuple[str, str]:
        """(storage key, cache tag) of the file frames are taken from; an audio-only video
        has none (404 ``no_video_stream``, ADR 0066)."""
        if video.state not in _READABLE or video.source_key is None:
            raise NotReady(f"video is {video.state.value}; no frames to show yet")
        if video.audio_only:
            raise no_video_stream()
        if self.config.feeds_ladder:
            try:
                return self.storage.stat(enhanced_key(video)).key, "enh"
            except FileNotFoundError:
                pass
        return video.source_key, "src"

    def _format(self, video: Video, tag: str) -> str | None:
        """The container to pin: the accepted one for the source (ours is allow-listed)."""
        return video.source_format if tag == "src" else None

    def still(self, video: Video, still: Still) -> ObjectInfo:
        """The frame at ``still.time`` (0.1 s steps); any time in ``[0, duration]`` works:
        past the last frame (the final frame interval) it is the last frame."""
        key, tag = self.source(video)
        duration = video.duration or 0.0
        at = math.floor(max(0.0, min(still.time, duration)) * 10 + 1e-6) / 10
        name = (
            f"thumb_{tag}_{round(at * 10)}_{still.width or 0}x{still.height or 0}"
            f"_{still.fit}.{still.fmt}"
        )
        pinned = self._format(video, tag)

        def command(last_frame: bool) -> Callable[[str, str], list[str]]:
            return lambda src, out: thumbnail_command(
                self.config.ffmpeg,
                src,
                out,
                at=max(0.0, at - 1.0) if last_frame else at,
                width=still.width,
                height=still.height,
                fit=still.fit,
                fmt=still.fmt,
                input_format=pinned,
                last_frame=last_frame,
            )

        return self._cached(video, name, key, command(False), fallback=command(True))

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
                self.config.ffmpeg,
                src,
                out,
                layout,
                duration=duration,
                input_format=self._format(video, tag),
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
                input_format=self._format(video, tag),
            ),
        )

    def _cached(
        self,
        video: Video,
        name: str,
        source_key: str,
        build: Callable[[str, str], list[str]],
        *,
        fallback: Callable[[str, str], list[str]] | None = None,
    ) -> ObjectInfo:
        """The cached render ``name``, else run ``build`` (then ``fallback`` if it made no
        image) under the gate and the limits, and cache the result."""
        cache_key = media_prefix(video.id) + name
        try:
            return self.storage.stat(cache_key)
        except FileNotFoundError:
            pass
        self.config.tmp_dir.mkdir(parents=True, exist_ok=True)
        limits = ProcessLimits(
            timeout=self.config.timeout, memory_bytes=self.config.memory_bytes, max_files=64
        )
        try:
            with (
                self.config.gate,
                source_copy(self.storage, video, source_key) as source,
                tempfile.TemporaryDirectory(dir=self.config.tmp_dir, prefix="render-") as tmp,
            ):
                out = Path(tmp) / name
                for attempt in (build, fallback):
                    if attempt is None:
                        break
                    try:
                        run_ffmpeg(attempt(str(source), str(out)), duration=None, limits=limits)
                    except MediaError as exc:
                        if attempt is not build or fallback is None or exc.code == FFMPEG_TIMEOUT:
                            raise
                    if out.is_file() and out.stat().st_size > 0:
                        return self.storage.put_file(cache_key, out, move=True)
                raise RenderFailed("ffmpeg produced no image for this request")
        except FileNotFoundError:
            raise NotReady("the video's source is not in storage") from None
        except MediaError as exc:
            if exc.code == SOURCE_CHANGED:
                raise Conflict(exc.message, code=SOURCE_CHANGED) from exc
            raise RenderFailed(f"rendering failed: {exc.message}") from exc
