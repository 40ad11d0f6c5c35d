"""A progressive MP4 (or M4A) from stored HLS renditions, without encoding (ADR 0065).

A rendition's CMAF init followed by its media segments, byte for byte, is one fragmented
MP4 whose fragments already sit on the video's timeline (ADR 0063: every ``tfdt`` is the
segment's place). ffmpeg copies its samples (``-c copy``) into a plain MP4 with the
``moov`` first (``+faststart``), so a browser plays it from the first bytes and a Range
request can start anywhere. MPEG-TS renditions (videos packaged before ADR 0063)
concatenate the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import ProcessLimits

Input = Path | str
"""A local file, or an ffmpeg URL (``concat_input``: stored files read in place)."""


def concat_input(files: Sequence[Path], listing: Path) -> str:
    """The files, in order, as one input read in place: ffmpeg's ``concatf`` protocol over
    a list written to ``listing`` (byte for byte what ``cat`` of them would give, without
    the copy). ffmpeg opens every listed file at once: see ``open_files``."""
    listing.write_text("".join(f"{f}\n" for f in files))
    return f"concatf:{listing}"


def open_files(*lists: Sequence[object]) -> int:
    """File descriptors an ffmpeg reading these ``concat_input`` lists needs (and a margin)."""
    return sum(len(files) + 1 for files in lists) + 64


def remux_command(ffmpeg: str, video: Input | None, audio: Input | None, out: Path) -> list[str]:
    """``ffmpeg -i video -i audio -map ... -c copy -movflags +faststart out``. ``out``'s
    extension picks the muxer (``.m4a``: ffmpeg's ``ipod``, an M4A)."""
    if video is None and audio is None:
        raise ValueError("nothing to remux")
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    maps: list[str] = []
    inputs = [(kind, i) for kind, i in (("v", video), ("a", audio)) if i is not None]
    for index, (kind, source) in enumerate(inputs):
        args += ["-i", str(source)]
        maps += ["-map", f"{index}:{kind}:0"]
    return [
        *args,
        *maps,
        "-c",
        "copy",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-progress",
        "pipe:1",
        "-nostats",
        str(out),
    ]


def remux(
    ffmpeg: str,
    *,
    video: Input | None,
    audio: Input | None,
    out: Path,
    duration: float | None,
    limits: ProcessLimits,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Write ``out`` from the concatenated renditions (raises ``MediaError`` on failure)."""
    run_ffmpeg(
        remux_command(ffmpeg, video, audio, out),
        duration=duration,
        on_progress=on_progress,
        limits=limits,
    )
