"""VMAF of stored rungs against their source with ffmpeg's ``libvmaf`` (ADR 0045).

One ffmpeg run measures one window of the source (a run of the plan's frames) against every
rung at once: the source is decoded once, put on the plan's frame grid exactly as the chunk
encoder does (``-ss`` with a preroll, ``-copyts -start_at_zero``, ``fps``, ``trim``: the
same frames the rungs were encoded from), scaled to the source's display size and split;
each rung (its init and the window's segments, concatenated) is upscaled to that size with
``bicubic``; one ``libvmaf`` per rung writes a JSON log. ``n_subsample`` scores every n-th
frame only. The scores are read back by ``frame_scores`` and pooled by ``pool``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from vidhost.media.chunks import SEEK_PREROLL
from vidhost.media.errors import FFMPEG_FAILED, MediaError
from vidhost.media.hls import _num

MODEL = "version=vmaf_v0.6.1"
"""libvmaf's default model (1080p, a living-room viewing distance): every rung is upscaled to
the source's size and scored with it, as Netflix's per-title reports and ab-av1 do."""
N_SUBSAMPLE = 3
"""Score every third frame of a window (libvmaf's ``n_subsample``)."""
SCALER = "bicubic"


@dataclass(frozen=True)
class Score:
    """A rung's VMAF: the mean and the 5th percentile of its scored frames."""

    mean: float
    p5: float
    frames: int


def build_vmaf_command(
    ffmpeg: str,
    input_args: Sequence[str],
    rungs: Sequence[str],
    logs: Sequence[str],
    *,
    fps: Fraction,
    start_frame: int,
    end_frame: int,
    width: int,
    height: int,
    n_subsample: int = N_SUBSAMPLE,
    threads: int = 1,
) -> list[str]:
    """Score each file of ``rungs`` (a rung's segments from frame ``start_frame`` of the
    plan's grid on; its first ``end_frame - start_frame`` frames are scored) against those
    frames of the source (``input_args`` ends with ``-i <source>``), both at ``width`` x
    ``height``; rung ``i``'s per-frame scores go to the JSON file ``logs[i]``."""
    if not rungs or len(rungs) != len(logs):
        raise ValueError("one log per rung, at least one rung")
    if end_frame <= start_frame:
        raise ValueError("an empty window")
    count = len(rungs)
    seek = max(0.0, float(start_frame / fps) - SEEK_PREROLL)
    size = f"{width}:{height}"
    chains = [
        f"[0:v:0]fps={fps.numerator}/{fps.denominator},"
        f"trim=start_pts={start_frame}:end_pts={end_frame},setpts=PTS-STARTPTS,"
        f"scale={size}:flags={SCALER},format=yuv420p,setsar=1,"
        f"split={count}" + "".join(f"[r{i}]" for i in range(count))
    ]
    for i, log in enumerate(logs):
        chains.append(
            f"[{i + 1}:v:0]setpts=PTS-STARTPTS,trim=end_frame={end_frame - start_frame},"
            f"scale={size}:flags={SCALER},format=yuv420p,setsar=1[d{i}]"
        )
        options = ":".join(
            [
                f"model={MODEL}",
                f"n_subsample={n_subsample}",
                f"n_threads={threads}",
                "log_fmt=json",
                f"log_path={_escaped(log)}",
            ]
        )
        chains.append(f"[d{i}][r{i}]libvmaf={options}[o{i}]")
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-ss", _num(seek), "-copyts"]
    args += ["-start_at_zero", *input_args]
    for rung in rungs:
        args += ["-i", rung]
    args += ["-filter_complex", ";".join(chains), "-progress", "pipe:1", "-nostats"]
    for i in range(count):
        args += ["-map", f"[o{i}]", "-f", "null", "-"]
    return args


def _escaped(path: str) -> str:
    """A log path as a filter option value: the task's own temporary directory, so none of
    the characters the filter graph gives a meaning to (refused rather than escaped)."""
    if any(c in path for c in ":\\'\",;[]= "):
        raise ValueError(f"unusable log path for libvmaf: {path!r}")
    return path


def frame_scores(log: str | bytes) -> list[float]:
    """The per-frame VMAF scores of a libvmaf JSON log (only the frames it scored)."""
    try:
        data = json.loads(log)
        scores = [float(frame["metrics"]["vmaf"]) for frame in data["frames"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise MediaError(FFMPEG_FAILED, f"unreadable libvmaf log ({exc})") from None
    if not all(math.isfinite(s) for s in scores):
        raise MediaError(FFMPEG_FAILED, "libvmaf logged a score that is not a number")
    return scores


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between ranks (numpy's
    default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    at = (len(ordered) - 1) * q / 100
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def pool(scores: Sequence[float]) -> Score:
    """Mean and 5th percentile of scores from every window of a rung (each frame counts
    once, whatever its window)."""
    if not scores:
        raise MediaError(FFMPEG_FAILED, "libvmaf scored no frame")
    return Score(
        mean=round(sum(scores) / len(scores), 3),
        p5=round(percentile(scores, 5), 3),
        frames=len(scores),
    )
