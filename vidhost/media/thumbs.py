"""ffmpeg commands for still thumbnails, storyboard sprite sheets and animated previews."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from vidhost.media.formats import input_args

FITS: Final = ("contain", "cover", "fill", "pad")
IMAGE_TYPES: Final = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ANIMATION_TYPES: Final = {"gif": "image/gif", "webp": "image/webp"}
KEYFRAMES_ONLY_AFTER: Final = 120.0
"""Storyboards of videos longer than this (seconds) decode keyframes only."""
_THREADS: Final = ("-threads", "2")
"""On-demand renders decode with two threads (bounded memory per render)."""


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def scale_filter(width: int | None, height: int | None, fit: str) -> str | None:
    """Scaling for a requested box. One side given: the other follows the aspect ratio.

    Both given: ``contain`` fits inside the box (aspect kept, may be smaller on one side),
    ``cover`` fills it and crops the overflow, ``fill`` stretches, ``pad`` fits and letterboxes.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}")
    if width is None and height is None:
        return None
    if width is None:
        return f"scale=-2:{height}"
    if height is None:
        return f"scale={width}:-2"
    if fit == "fill":
        return f"scale={width}:{height},setsar=1"
    if fit == "cover":
        grow = f"scale={width}:{height}:force_original_aspect_ratio=increase"
        return f"{grow},crop={width}:{height},setsar=1"
    inside = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
    if fit == "pad":
        return f"{inside},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black,setsar=1"
    return f"{inside},setsar=1"


def _image_codec(fmt: str, *, image2: bool = False) -> list[str]:
    """Encoder and muxer of one still; ``image2``: WebP through the image2 muxer too (it
    alone can overwrite its output per frame, ``-update 1``)."""
    if fmt == "jpg":
        return ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-f", "image2"]
    if fmt == "png":
        return ["-c:v", "png", "-f", "image2"]
    if fmt == "webp":
        return ["-c:v", "libwebp", "-quality", "80", "-f", "image2" if image2 else "webp"]
    raise ValueError(f"image format must be one of {sorted(IMAGE_TYPES)}")


def thumbnail_command(
    ffmpeg: str,
    source: str,
    out: str,
    *,
    at: float,
    width: int | None,
    height: int | None,
    fit: str,
    fmt: str,
    input_format: str | None = None,
    last_frame: bool = False,
) -> list[str]:
    """One frame at ``at`` seconds (fast input seek, then exact), scaled, in ``fmt``.

    ``last_frame``: the last frame from ``at`` to the end instead (every decoded frame
    overwrites the output), for times in the video's final frame interval.
    """
    args = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *_THREADS]
    args += ["-ss", _n(max(0.0, at)), *input_args(input_format), "-i", source]
    args += ["-map", "0:v:0", "-an", "-sn", "-dn"]
    args += ["-update", "1"] if last_frame else ["-frames:v", "1"]
    scale = scale_filter(width, height, fit)
    if scale:
        args += ["-vf", scale]
    return [*args, *_image_codec(fmt, image2=last_frame), out]


@dataclass(frozen=True)
class StoryboardLayout:
    interval: float
    """Seconds between tiles."""
    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def storyboard_layout(
    duration: float,
    width: int,
    height: int,
    *,
    interval: float = 2.0,
    tile_width: int = 160,
    max_tiles: int = 100,
    columns: int = 10,
) -> StoryboardLayout:
    """One tile every ``interval`` s (stretched so there are at most ``max_tiles``)."""
    duration = max(duration, 0.001)
    interval = max(interval, duration / max_tiles)
    count = max(1, math.ceil(duration / interval - 1e-9))
    tile_height = max(2, round(tile_width * height / max(1, width) / 2) * 2)
    cols = min(columns, count)
    return StoryboardLayout(
        interval=interval,
        count=count,
        columns=cols,
        rows=math.ceil(count / cols),
        tile_width=tile_width,
        tile_height=tile_height,
    )


def storyboard_command(
    ffmpeg: str,
    source: str,
    out: str,
    layout: StoryboardLayout,
    *,
    duration: float,
    input_format: str | None = None,
) -> list[str]:
    """All tiles in one JPEG sprite sheet, row by row (the last row may be part-filled)."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *_THREADS]
    if duration > KEYFRAMES_ONLY_AFTER:
        args += ["-skip_frame", "nokey"]
    vf = (
        f"fps=1/{_n(layout.interval)}:round=down,"
        f"scale={layout.tile_width}:{layout.tile_height},setsar=1,"
        f"tile={layout.columns}x{layout.rows}"
    )
    args += [*input_args(input_format), "-i", source]
    args += ["-map", "0:v:0", "-an", "-sn", "-dn", "-vf", vf, "-frames:v", "1"]
    return [*args, *_image_codec("jpg"), out]


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def storyboard_vtt(layout: StoryboardLayout, duration: float, image_url: str) -> str:
    """WebVTT: one cue per tile pointing at its region of the sprite (``#xywh=``)."""
    lines = ["WEBVTT", ""]
    for i in range(layout.count):
        start = i * layout.interval
        end = min((i + 1) * layout.interval, max(duration, start + 0.001))
        x = (i % layout.columns) * layout.tile_width
        y = (i // layout.columns) * layout.tile_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{image_url}#xywh={x},{y},{layout.tile_width},{layout.tile_height}",
            "",
        ]
    return "\n".join(lines)


def preview_command(
    ffmpeg: str,
    source: str,
    out: str,
    *,
    start: float,
    duration: float,
    width: int,
    fps: int,
    fmt: str,
    input_format: str | None = None,
) -> list[str]:
    """An animated, looping, silent clip: GIF with a generated palette, or animated WebP."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *_THREADS]
    args += ["-ss", _n(max(0.0, start)), "-t", _n(duration), *input_args(input_format)]
    args += ["-i", source]
    args += ["-map", "0:v:0", "-an", "-sn", "-dn"]
    base = f"fps={fps},scale={width}:-2:flags=lanczos,setsar=1"
    if fmt == "gif":
        vf = f"{base},split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer"
        return [*args, "-vf", vf, "-loop", "0", "-f", "gif", out]
    if fmt == "webp":
        return [
            *args, "-vf", base, "-c:v", "libwebp_anim", "-quality", "70", "-loop", "0",
            "-f", "webp", out,
        ]  # fmt: skip
    raise ValueError(f"animation format must be one of {sorted(ANIMATION_TYPES)}")
