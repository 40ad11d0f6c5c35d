"""Generate tiny synthetic test clips with the bundled ffmpeg (lavfi sources).

Not a test module: import ``make_clip`` from tests that need real media files.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from vidhost.media.binaries import ffmpeg_path

_FORMATS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".ts": "mpegts"}


def make_clip(
    path: str | os.PathLike[str],
    *,
    duration: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: int = 25,
    audio: bool = True,
    source: str = "testsrc2",
    color: str | None = None,
    rotate: int | None = None,
    interlaced: bool = False,
    extra_args: Sequence[str] = (),
) -> Path:
    """Write an H.264 (+ AAC sine tone) clip to ``path``; the container follows the extension.

    ``source`` is a lavfi video source (``testsrc2``, ``smptebars``, ``testsrc``...); ``color``
    switches to a solid ``color=c=<color>`` source. ``rotate`` stores a display-matrix rotation
    without touching the pixels, in the legacy ``rotate`` tag convention (clockwise degrees a
    player must apply, so 90 is a typical portrait phone clip): the coded frame stays
    ``width`` x ``height`` and the displayed one is swapped for 90/270. ``interlaced`` encodes
    top-field-first interlaced H.264. ``extra_args`` are inserted before the output path.
    """
    out = Path(path)
    fmt = _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported clip extension {out.suffix!r} (use {sorted(_FORMATS)})")
    if rotate is not None and fmt not in ("mp4", "mov"):
        raise ValueError("rotation metadata is only supported for .mp4/.mov clips")

    size = f"{width}x{height}"
    if color is not None:
        video_src = f"color=c={color}:s={size}:r={fps}:d={duration}"
    else:
        video_src = f"{source}=s={size}:r={fps}:d={duration}"

    args = [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if rotate is not None:
        # Input-side display matrix (counter-clockwise degrees); -noautorotate keeps ffmpeg from
        # baking it into the pixels, so the matrix is written to the output track header.
        args += ["-noautorotate", "-display_rotation", str(-rotate)]
    args += ["-f", "lavfi", "-i", video_src]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}"]
    args += ["-map", "0:v:0"]
    if audio:
        args += ["-map", "1:a:0", "-c:a", "aac", "-b:a", "64k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if interlaced:
        args += ["-vf", "setfield=tff", "-flags", "+ildct+ilme", "-x264-params", "tff=1"]
    args += ["-t", str(duration), *extra_args, "-f", fmt, str(out)]

    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed to make {out.name}: {result.stderr[-2000:]}")
    return out


AUDIO_FORMATS = {
    ".m4a": ("ipod", ["-c:a", "aac", "-b:a", "96k"]),
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "96k"]),
    ".wav": ("wav", ["-c:a", "pcm_s16le"]),
    ".flac": ("flac", ["-c:a", "flac"]),
    ".opus": ("ogg", ["-c:a", "libopus", "-b:a", "64k"]),
}
"""The audio files an audio-only video comes from (ADR 0066), by extension."""


def make_audio(
    path: str | os.PathLike[str],
    *,
    duration: float = 15.0,
    frequency: int = 440,
    sample_rate: int = 44_100,
) -> Path:
    """Write a stereo sine tone of ``duration`` s; the format follows the extension
    (:data:`AUDIO_FORMATS`: AAC in M4A, MP3, WAV, FLAC, Opus in Ogg)."""
    out = Path(path)
    fmt = AUDIO_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"unsupported audio extension {out.suffix!r} (use {sorted(AUDIO_FORMATS)})"
        )
    muxer, codec = fmt
    source = f"sine=frequency={frequency}:sample_rate={sample_rate}:duration={duration}"
    args = [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    args += ["-f", "lavfi", "-i", source, "-ac", "2", *codec, "-f", muxer, str(out)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed to make {out.name}: {result.stderr[-2000:]}")
    return out
