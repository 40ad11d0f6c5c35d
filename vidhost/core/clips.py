"""Clips: a new video cut from a ready one (ADR 0067). Pure rules: which source may be cut,
where the cut falls on the source's frames, and what the clip records of its source.

A clip is cut on the source's ladder frame grid (``segments.output_rate`` of the probed
rate; an audio-only source: the AAC frame grid, ADR 0066): ``start`` and ``end`` are rounded
to the nearest frame boundary, the clip's first frame is the source's frame ``first`` and its
last is ``last - 1``. So the clip's duration is ``end - start`` within half a frame, and its
ladder (planned on the same rate) shows the source's frames one for one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, present
from vidhost.core.segments import AUDIO_ONLY_RATE, output_rate

CLIP_OPTION = "clip"
"""``Video.options`` key of a clip: ``{"source": id, "start": s, "end": s}`` (seconds, as
cut: on the source's frame grid)."""


@dataclass(frozen=True)
class ClipCut:
    """Frames ``[first, last)`` of the source at ``rate`` frames a second."""

    source_id: str
    first: int
    last: int
    rate: Fraction
    audio_only: bool = False

    @property
    def start(self) -> float:
        return float(self.first / self.rate)

    @property
    def end(self) -> float:
        return float(self.last / self.rate)

    @property
    def duration(self) -> float:
        return float((self.last - self.first) / self.rate)

    def option(self) -> dict[str, Any]:
        return {"source": self.source_id, "start": self.start, "end": self.end}


class Clipper(Protocol):
    """Makes clips (``vidhost.ingest.clips.service.ClipService``): what the surfaces call."""

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
    ) -> Video: ...


def source_not_found() -> NotFound:
    return NotFound("video not found", code="video_not_found")


def clippable(video: Video | None, owner: str, not_found: NotFound | None = None) -> Video:
    """The caller's ready video, else 404 (unknown, deleted, another owner's: ``not_found``,
    default ``video_not_found``) or 400 ``clip_source_not_ready``."""
    if not present(video) or video.owner != owner:
        raise not_found or source_not_found()
    if video.state is not VideoState.READY or video.duration is None:
        raise InvalidInput(
            f"the source video is {video.state.value}: only a ready video can be clipped",
            code="clip_source_not_ready",
        )
    return video


def frame_rate(video: Video) -> Fraction:
    """The grid the source's ladder was planned on (and the clip's will be)."""
    return AUDIO_ONLY_RATE if video.audio_only else output_rate(video.fps)


def plan_cut(video: Video, start: float | None, end: float | None) -> ClipCut:
    """Where the clip of ``video`` from ``start`` to ``end`` (seconds; ``None``: the
    beginning, the end) falls on its frames. 400 ``invalid_clip_range``: a time that is not
    a finite number, a negative start, or an end not after the start (also once rounded to
    frames); 400 ``bad_time``: a start or end past the end of the source."""
    duration = video.duration or 0.0
    begin = 0.0 if start is None else start
    stop = duration if end is None else end
    if not (math.isfinite(begin) and math.isfinite(stop)) or begin < 0:
        raise InvalidInput(
            "start and end must be finite times in seconds, start ≥ 0", code="invalid_clip_range"
        )
    if begin >= duration:
        raise InvalidInput(
            f"the clip starts ({begin:g} s) past the end of the video ({duration:g} s)",
            code="bad_time",
        )
    if stop <= begin:
        raise InvalidInput(
            f"the clip's end ({stop:g} s) must be after its start ({begin:g} s)",
            code="invalid_clip_range",
        )
    rate = frame_rate(video)
    total = max(1, round(duration * rate))
    if stop > duration + float(1 / rate) / 2:
        raise InvalidInput(
            f"the clip ends ({stop:g} s) past the end of the video ({duration:g} s)",
            code="bad_time",
        )
    first, last = round(begin * rate), min(total, round(stop * rate))
    if last <= first:
        raise InvalidInput(
            "the clip is shorter than one frame of the video", code="invalid_clip_range"
        )
    return ClipCut(video.id, first, last, rate, audio_only=video.audio_only)


def clip_of(video: Video) -> dict[str, Any] | None:
    """What a clip records of its source (``CLIP_OPTION``); None for any other video."""
    value = video.options.get(CLIP_OPTION)
    return value if isinstance(value, dict) and isinstance(value.get("source"), str) else None
