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
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Protocol

from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, present
from vidhost.core.segments import AUDIO_ONLY_RATE, Chunk, Segment, SegmentPlan, output_rate

REUSE_KEY = "reuse"
"""``SegmentPlan.extra`` key of a clip's plan whose inner segments are the source's
(``reuse_plan``): ``{"video": source id, "offset": source index - clip index, "chunks":
[the copied chunks]}``."""
MIN_EDGE_SECONDS = 0.5
"""An edge of a clip shorter than this is encoded together with the source segment next to
it (no segment of a few frames at either end of the clip)."""
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


def reuse_plan(
    plan: SegmentPlan, source: SegmentPlan, *, source_id: str, first: int
) -> SegmentPlan | None:
    """The clip's ``plan`` with the source's segments for the whole segments of the source
    inside the clip (the clip's frames are the source's from ``first``), ADR 0067: an edge
    segment up to the source's first boundary after ``first`` (encoded: chunk 0, the start of
    the video), the source's segments (one chunk, copied: ``REUSE_KEY``), and an edge
    segment from the source's last boundary before the end (encoded). ``None`` when nothing
    can be reused: another frame rate, rungs, quality or packaging than the source's, or no
    whole source segment inside the clip past its edges."""
    same = (
        plan.cmaf
        and source.cmaf
        and plan.renditions
        and plan.renditions == source.renditions
        and plan.fps == source.fps
        and plan.extra == {k: v for k, v in source.extra.items() if k != REUSE_KEY}
    )
    last = first + plan.total_frames
    if not same or first < 0 or last > source.total_frames:
        return None
    inner = [
        s for s in source.segments if s.start_frame >= first and s.start_frame + s.frames <= last
    ]
    edge = max(1, round(MIN_EDGE_SECONDS * plan.fps))
    if inner and inner[0].start_frame - first < edge:  # also: no edge at all (chunk 0 encodes)
        inner = inner[1:]
    if inner and 0 < last - (inner[-1].start_frame + inner[-1].frames) < edge:
        inner = inner[:-1]
    if not inner:
        return None
    starts = [0, *(s.start_frame - first for s in inner)]
    tail = inner[-1].start_frame + inner[-1].frames - first
    if tail < plan.total_frames:
        starts.append(tail)
    ends = [*starts[1:], plan.total_frames]
    segments = tuple(
        Segment(i, a, b - a) for i, (a, b) in enumerate(zip(starts, ends, strict=True))
    )
    chunks = [Chunk(0, 0, 1), Chunk(1, 1, len(inner))]
    if tail < plan.total_frames:
        chunks.append(Chunk(2, len(inner) + 1, 1))
    reuse = {"video": source_id, "offset": inner[0].index - 1, "chunks": [1]}
    return replace(
        plan, segments=segments, chunks=tuple(chunks), extra={**plan.extra, REUSE_KEY: reuse}
    )


def reused(plan: SegmentPlan, chunk: int) -> tuple[str, int] | None:
    """Chunk ``chunk`` of a clip's plan copies the source's segments (``reuse_plan``): the
    source video's id and its segment index minus the clip's; else None."""
    reuse = plan.extra.get(REUSE_KEY)
    if not isinstance(reuse, dict) or chunk not in reuse.get("chunks", ()):
        return None
    return str(reuse["video"]), int(reuse["offset"])
