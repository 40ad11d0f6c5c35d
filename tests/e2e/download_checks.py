"""Checks every test of a static rendition (MP4/M4A download) makes on the produced file:
ffmpeg decodes it without an error, its streams and their decoded durations, and whether
its ``moov`` comes before its ``mdat`` (``+faststart``)."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av

from vidhost.media.binaries import ffmpeg_path


@dataclass(frozen=True)
class Produced:
    video_seconds: float | None
    """Frames decoded x frame duration; None without a video stream."""
    audio_seconds: float | None
    """Samples decoded / sample rate; None without an audio stream."""
    width: int
    height: int
    top_boxes: list[str]


def top_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    boxes = []
    with path.open("rb") as fh:
        while header := fh.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0] - 8
            boxes.append(kind.decode("latin-1"))
            fh.seek(size - 8, 1)
    return boxes


def produced(path: Path) -> Produced:
    """Decode the whole file with ffmpeg (``-xerror``: any decode error fails), then count
    what PyAV (ffmpeg's libraries) decodes of each stream."""
    out = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-xerror", "-nostdin", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr
    video = audio = None
    width = height = 0
    with av.open(str(path)) as container:
        if container.streams.video:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            assert rate
            frames = 0
            for frame in container.decode(stream):
                frames += 1
                width, height = frame.width, frame.height
            video = frames / float(rate)
    with av.open(str(path)) as container:
        if container.streams.audio:
            stream = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(stream))
            audio = samples / stream.rate
    return Produced(video, audio, width, height, top_boxes(path))
