"""Clips as a way in (ADR 0067): a pending video, its source cut from the source video's
original, and ``VideoService.accept_source`` (the one way in) from there.

The clip answers at once (``created``); an ``ingest`` task on the workers cuts the source
(``vidhost.media.clips``, under the task limits; ADR 0094) and hands the file to
``accept_source``, as a URL pull does. The cut survives a restart: the task is sent again.
From then on the clip is a video like any other: probe, plan, ladder, ready, webhooks,
thumbnails, downloads. It owns its own source file, so deleting the source video leaves it whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from vidhost.core.clips import CLIP_OPTION, ClipCut, clip_of, clippable, plan_cut
from vidhost.core.errors import NotFound
from vidhost.core.ingest import KIND, SourceWay, ingest_option
from vidhost.core.models import Video, present
from vidhost.core.ports import Storage
from vidhost.core.videos import VideoService
from vidhost.media.clips import clip_command
from vidhost.media.errors import MediaError
from vidhost.media.formats import input_args
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.processing.probing import source_copy


@dataclass(frozen=True)
class ClipConfig:
    ffmpeg: str
    tmp_dir: Path
    timeout: float


class ClipService:
    """``create``: what ``POST /api/videos/{id}/clips``, Mux's ``mux://assets/{id}`` input
    and Cloudflare's ``POST .../stream/clip`` call (``vidhost.core.clips.Clipper``)."""

    def __init__(self, videos: VideoService, storage: Storage, config: ClipConfig) -> None:
        self.videos = videos
        self.storage = storage
        self.config = config

    WAY = "clip"

    def source_way(self) -> SourceWay:
        """How the ``ingest`` task makes a clip's source (``Container.ingest_ways``)."""
        return SourceWay(self.make_source, ("ffmpeg_failed", "the clip could not be cut"))

    def create(
        self,
        owner: str,
        source_id: str,
        start: float | None,
        end: float | None,
        *,
        title: str | None = None,
        visibility: str | None = None,
        metadata: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        not_found: NotFound | None = None,
    ) -> Video:
        """A new video from ``start`` to ``end`` (seconds; ``None``: the source's beginning,
        end) of the caller's ready video ``source_id``; its own ``visibility`` (default:
        the source's). Refusals: ``vidhost.core.clips.plan_cut`` and ``clippable``."""
        source = clippable(self.videos.find(source_id), owner, not_found)
        cut = plan_cut(source, start, end)
        stem = PurePath(source.filename).stem if source.filename else source.id
        clip = self.videos.create_pending(
            owner=owner,
            filename=f"{stem}-clip.mp4",
            content_type="video/mp4",
            metadata=metadata,
            options={**(options or {}), CLIP_OPTION: cut.option(), **ingest_option(self.WAY)},
            visibility=visibility or source.visibility,
            title=title,
        )
        self.videos.start_tasks(clip.id, [KIND])
        return clip

    def make_source(self, clip: Video, out: Path) -> None:
        """The clip's source, cut from its source video's original into ``out`` (the cut
        recomputed from what the clip records: the same frames, on the source's grid)."""
        recorded = clip_of(clip)
        source = self.videos.find(recorded["source"]) if recorded else None
        if recorded is None or not present(source):
            raise MediaError("no_source", "the source video was deleted before it was cut")
        self._cut(out, source, plan_cut(source, recorded["start"], recorded["end"]))

    def _cut(self, out: Path, source: Video, cut: ClipCut) -> None:
        c = self.config
        try:
            with source_copy(self.storage, source) as path:
                command = clip_command(
                    c.ffmpeg,
                    [*input_args(source.source_format), "-i", str(path)],
                    str(out),
                    rate=cut.rate,
                    first=cut.first,
                    last=cut.last,
                    video=not cut.audio_only,
                    audio=source.audio_codec is not None,
                )
                run_ffmpeg(command, duration=cut.duration, limits=task_limits(c.timeout))
        except MediaError as exc:
            raise MediaError(exc.code, f"the clip could not be cut: {exc.message}") from exc
        except FileNotFoundError as exc:  # the source video was deleted while it was cut
            raise MediaError("no_source", "the source video was deleted before it was cut") from exc
