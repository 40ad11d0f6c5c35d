"""Which side tasks run for a video, and where their outputs live in storage.

Metadata extraction runs for every video with a video stream (an audio-only one has only
its transcode, ADR 0066). Enhancement runs when the settings say ``always``
(every upload is enhanced) or when the video's ``enhance`` option names a preset
(``none`` opts a video out). When the enhanced file feeds the HLS ladder, the transcode is
not planned up front: the enhancement task starts it when it ends (completed or failed), so the
ladder is cut from the enhanced file, or from the source if enhancement failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from vidhost.core import layout
from vidhost.core.layout import PROCESSED, enhanced_prefix, media_prefix, metadata_key
from vidhost.core.lifecycle import TaskKind
from vidhost.core.models import Video

EnhanceMode = Literal["request", "always", "off"]
NO_ENHANCEMENT = "none"
__all__ = ["PROCESSED", "enhanced_prefix", "media_prefix", "metadata_key"]
ENHANCED_CONTAINERS = ("mp4", "mov", "mkv")


def enhanced_extension(filename: str | None) -> str:
    """The upload's container when it is mp4/mov/mkv, else mp4."""
    if filename and "." in filename:
        ext = filename.rsplit(".", 1)[1].lower()
        if ext in ENHANCED_CONTAINERS:
            return ext
    return "mp4"


def enhanced_key(video: Video) -> str:
    return layout.enhanced_key(video.id, enhanced_extension(video.filename))


def enhancement_spec(video: Video, mode: EnhanceMode, default_preset: str) -> str | None:
    """The enhancement spec to apply to ``video``, or None for no enhancement."""
    if mode == "off":
        return None
    requested = str(video.options.get("enhance") or "").strip()
    if requested.lower() == NO_ENHANCEMENT:
        return None
    if requested:
        return requested
    return default_preset if mode == "always" else None


def make_planner(
    *, mode: EnhanceMode, default_preset: str, feeds_ladder: bool
) -> Callable[[Video], Iterable[TaskKind]]:
    """A ``VideoService`` planner: transcode + metadata always, enhancement when asked; an
    audio-only video (ADR 0066) is transcoded only (both others read frames)."""

    def plan(video: Video) -> list[TaskKind]:
        if video.audio_only:
            return [TaskKind.TRANSCODE]
        enhance = enhancement_spec(video, mode, default_preset) is not None
        kinds: list[TaskKind] = []
        if not (enhance and feeds_ladder):
            kinds.append(TaskKind.TRANSCODE)
        kinds.append(TaskKind.METADATA_EXTRACTION)
        if enhance:
            kinds.append(TaskKind.VIDEO_ENHANCEMENT)
        return kinds

    return plan
