"""Decoding frames for analysis: every frame of a short clip, spread keyframes of a long one.

Short clips (at most ``full_decode_max_frames`` frames) are decoded completely. Longer ones are
sampled in one demux pass: only keyframe packets are sent to the decoder (which is also told
``skip_frame=NONKEY``), and of those only the first at or after each multiple of the sampling
interval (``duration / max_samples``), so the decoder never touches inter-coded frames and at
most ``max_samples`` frames are decoded, evenly spread over the whole video. Each decoded frame
is scaled to at most ``analysis_width`` pixels wide and converted to ``bgr24`` by libswscale.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import av.error
import numpy as np
import numpy.typing as npt
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from vidhost.media.errors import CORRUPT_MEDIA, NOT_A_VIDEO, MediaError
from vidhost.media.formats import open_input

FULL_DECODE_MAX_FRAMES = 300
MAX_SAMPLES = 120
ANALYSIS_WIDTH = 320
_MAX_ERROR_RATIO = 0.5
_MIN_COVERAGE = 0.5  # the decoded frames must reach this fraction of the declared duration


@dataclass(frozen=True)
class SamplingPlan:
    mode: Literal["all", "keyframes"]
    interval: float
    """Seconds between sampled keyframes (0 when every frame is decoded)."""


def plan_sampling(
    duration: float,
    frame_count: int | None,
    fps: float,
    *,
    full_decode_max_frames: int = FULL_DECODE_MAX_FRAMES,
    max_samples: int = MAX_SAMPLES,
) -> SamplingPlan:
    """Every frame when the clip has at most ``full_decode_max_frames``; else keyframe samples."""
    frames = frame_count if frame_count else math.ceil(duration * fps) if fps > 0 else 0
    if frames <= full_decode_max_frames or duration <= 0:
        return SamplingPlan("all", 0.0)
    return SamplingPlan("keyframes", duration / max(1, max_samples))


@dataclass(frozen=True)
class Sample:
    time: float
    """Presentation time of the frame, seconds from the start of the stream."""
    pixels: npt.NDArray[np.uint8]
    """``H x W x 3`` bgr24 array."""


@dataclass
class SamplingReport:
    """Filled in while sampling; final once the iterator is exhausted."""

    decoded: int = 0
    errors: int = 0
    last_time: float = 0.0


def analysis_size(width: int, height: int, max_width: int = ANALYSIS_WIDTH) -> tuple[int, int]:
    """The frame size used for statistics: at most ``max_width`` wide, aspect kept, even."""
    if width <= max_width:
        return width, height
    scaled_h = max(2, round(height * max_width / width / 2) * 2)
    return max_width, scaled_h


def sample_frames(
    path: str | os.PathLike[str],
    plan: SamplingPlan,
    *,
    duration: float,
    report: SamplingReport | None = None,
    max_width: int = ANALYSIS_WIDTH,
    on_progress: Callable[[float], None] | None = None,
    format_name: str | None = None,
) -> Iterator[Sample]:
    """Yield the frames ``plan`` selects from the primary video stream of ``path``.

    ``path`` is opened pinned to ``format_name`` (the probed container) and the file protocol.

    Raises :class:`MediaError` ``corrupt_media`` when most packets fail to decode. Whether
    what was decoded is enough is for the caller to judge (:func:`check_coverage`).
    """
    report = report if report is not None else SamplingReport()
    with open_input(path, format_name) as container:
        stream = _video_stream(container)
        stream.thread_type = "AUTO"
        if plan.mode == "keyframes":
            stream.codec_context.skip_frame = "NONKEY"
        yield from _decode(container, stream, plan, report, max_width, duration, on_progress)


def _video_stream(container: InputContainer) -> VideoStream:
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    raise MediaError(NOT_A_VIDEO, "The file has no video stream.")


def _decode(
    container: InputContainer,
    stream: VideoStream,
    plan: SamplingPlan,
    report: SamplingReport,
    max_width: int,
    duration: float,
    on_progress: Callable[[float], None] | None,
) -> Iterator[Sample]:
    time_base = float(stream.time_base) if stream.time_base is not None else 0.0
    start = stream.start_time * time_base if stream.start_time else 0.0
    next_time = 0.0
    attempts = 0
    for packet in container.demux(stream):
        if packet.size and plan.mode == "keyframes":
            if not packet.is_keyframe:
                continue
            stamp = packet.pts if packet.pts is not None else packet.dts
            t = stamp * time_base - start if stamp is not None else next_time
            if t < next_time:
                continue
            next_time = t + plan.interval
        attempts += 1 if packet.size else 0
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError):
            report.errors += 1
            if attempts >= 8 and report.errors > attempts * _MAX_ERROR_RATIO:
                raise MediaError(
                    CORRUPT_MEDIA,
                    f"The video stream cannot be decoded ({report.errors} of {attempts} "
                    "packets failed).",
                ) from None
            continue
        for frame in frames:
            if not isinstance(frame, VideoFrame):
                continue
            sample = _sample(frame, time_base, start, max_width)
            report.decoded += 1
            report.last_time = max(report.last_time, sample.time)
            if on_progress is not None and duration > 0:
                on_progress(min(99.0, 100.0 * sample.time / duration))
            yield sample


def _sample(frame: VideoFrame, time_base: float, start: float, max_width: int) -> Sample:
    width, height = analysis_size(frame.width, frame.height, max_width)
    small = frame.reformat(width=width, height=height, format="bgr24")
    t = frame.pts * time_base - start if frame.pts is not None else 0.0
    pixels = np.asarray(small.to_ndarray(), dtype=np.uint8)
    return Sample(time=max(0.0, t), pixels=pixels)


def covered(report: SamplingReport, duration: float) -> bool:
    """True when frames were decoded and they reach at least half of ``duration``."""
    if report.decoded == 0:
        return False
    return duration <= 4.0 or report.last_time >= duration * _MIN_COVERAGE


def check_coverage(report: SamplingReport, duration: float) -> None:
    """Raise ``corrupt_media`` when a full decode did not reach half of the declared length."""
    if report.decoded == 0:
        raise MediaError(CORRUPT_MEDIA, "No video frame could be decoded.")
    if not covered(report, duration):
        raise MediaError(
            CORRUPT_MEDIA,
            f"The video stream ends at {report.last_time:.2f} s of a declared {duration:.2f} s; "
            "the file is truncated or corrupt.",
        )
