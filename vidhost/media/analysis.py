"""Metadata extraction: probe + colour profile -> the metadata document (``.../analysis``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vidhost.media.errors import NOT_A_VIDEO, MediaError
from vidhost.media.formats import container_name
from vidhost.media.histogram import ColorAccumulator
from vidhost.media.probe import MediaInfo
from vidhost.media.sampling import (
    FULL_DECODE_MAX_FRAMES,
    MAX_SAMPLES,
    SamplingPlan,
    SamplingReport,
    check_coverage,
    covered,
    plan_sampling,
    sample_frames,
)

_MIN_KEYFRAME_SAMPLES = 2


@dataclass
class ColorAnalysis:
    profile: dict[str, Any]
    plan: SamplingPlan
    report: SamplingReport
    fallback: bool
    """True when keyframe sampling fell short and every frame was decoded instead."""


def analyse_colors(
    path: str | os.PathLike[str],
    *,
    duration: float,
    frame_count: int | None,
    fps: float,
    on_progress: Callable[[float], None] | None = None,
    full_decode_max_frames: int = FULL_DECODE_MAX_FRAMES,
    max_samples: int = MAX_SAMPLES,
    format_name: str | None = None,
) -> ColorAnalysis:
    """Histograms and average colour of the frames :func:`plan_sampling` selects.

    A keyframe-sampled pass that reaches less than half of the video (a stream with very long
    GOPs) is redone decoding every frame; a full pass that still falls short is a corrupt or
    truncated file (``MediaError`` ``corrupt_media``). ``format_name`` pins the demuxer.
    """
    plan = plan_sampling(
        duration,
        frame_count,
        fps,
        full_decode_max_frames=full_decode_max_frames,
        max_samples=max_samples,
    )
    acc, report = _accumulate(path, plan, duration, on_progress, format_name)
    fallback = False
    if plan.mode == "keyframes" and (
        report.decoded < _MIN_KEYFRAME_SAMPLES or not covered(report, duration)
    ):
        plan = SamplingPlan("all", 0.0)
        acc, report = _accumulate(path, plan, duration, on_progress, format_name)
        fallback = True
    check_coverage(report, duration)
    return ColorAnalysis(acc.profile(), plan, report, fallback)


def _accumulate(
    path: str | os.PathLike[str],
    plan: SamplingPlan,
    duration: float,
    on_progress: Callable[[float], None] | None,
    format_name: str | None,
) -> tuple[ColorAccumulator, SamplingReport]:
    acc = ColorAccumulator()
    report = SamplingReport()
    for sample in sample_frames(
        path,
        plan,
        duration=duration,
        report=report,
        on_progress=on_progress,
        format_name=format_name,
    ):
        acc.add(sample.pixels)
    return acc, report


def metadata_document(
    *, file_id: str, filename: str | None, info: MediaInfo, colors: ColorAnalysis
) -> dict[str, Any]:
    """The metadata JSON (field names and types are a client contract: docs/processing.md).

    ``resolution`` is the displayed size (sample aspect ratio and rotation applied; the coded
    size is in ``advanced.coded_resolution``); ``duration_seconds`` is an integer
    (rounded; the exact value is ``advanced.duration``); ``bit_rate`` is a string of bits per
    second (the container's, else size * 8 / duration); ``frame_count`` is the number of frames
    decoded when every frame was decoded, else the container's count (or duration * fps).
    """
    video = info.video
    if video is None:
        raise MediaError(NOT_A_VIDEO, "The file has no video stream.")
    if colors.plan.mode == "all":
        frame_count = colors.report.decoded
    else:
        frame_count = video.frame_count or round(info.duration * video.fps)
    bit_rate = info.bit_rate
    if bit_rate is None:
        bit_rate = round(info.size_bytes * 8 / info.duration) if info.duration > 0 else 0
    advanced = dict(info.raw)
    advanced.update(
        tags=info.tags,
        duration=info.duration,
        rotation=video.rotation,
        coded_resolution={"width": video.width, "height": video.height},
        codec=video.codec,
        pix_fmt=video.pix_fmt,
        color_space=video.color_space,
        field_order=video.field_order,
        audio=(
            {
                "codec": info.audio.codec,
                "channels": info.audio.channels,
                "sample_rate": info.audio.sample_rate,
                "bit_rate": info.audio.bit_rate,
            }
            if info.audio is not None
            else None
        ),
        sampling={
            "mode": colors.plan.mode,
            "interval_seconds": round(colors.plan.interval, 3),
            "frames_analysed": colors.report.decoded,
            "decode_errors": colors.report.errors,
            "fallback_full_decode": colors.fallback,
        },
    )
    return {
        "file_id": file_id,
        "filename": filename or "",
        "format": info.format_name,
        "container": container_name(info.format_name, info.tags),
        "resolution": {"width": video.display_width, "height": video.display_height},
        "fps": round(video.fps, 3),
        "frame_count": int(frame_count),
        "duration_seconds": round(info.duration),
        "file_size_bytes": info.size_bytes,
        "bit_rate": str(bit_rate),
        "color_profile": colors.profile,
        "advanced": advanced,
    }
