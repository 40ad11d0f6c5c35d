"""Checks every clip test makes (ADR 0067): the clip's stream, decoded, holds exactly the
source's frames from the cut's first to its last, told apart by PSNR against the source
decoded at those frames (testsrc2's moving box and clock hands change every frame)."""

from __future__ import annotations

import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tests.clips import make_clip
from vidhost.media.binaries import ffmpeg_path

MATCH_DB = 40.0
"""A clip frame is "the source's frame" above this PSNR (the issue's bar)."""
SOURCE_FPS = 10


def make_source(path: Path, duration: float) -> Path:
    """A 320x240 testsrc2 source the clip tests cut: 10 fps, lightly blurred (``boxblur=2``),
    so that the ladder's 240p rung (about 300 kb/s) encodes every frame above ``MATCH_DB``
    (raw testsrc2 at 25 fps comes out at 36-40 dB: the ladder's own loss, not the cut's),
    while two neighbouring frames stay under 20 dB apart (its moving box and clock hands)."""
    return make_clip(
        path,
        duration=duration,
        width=320,
        height=240,
        fps=SOURCE_FPS,
        extra_args=["-vf", "boxblur=2"],
    )


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) of two RGB frames of the same size; identical frames give 100."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else 10 * float(np.log10(255.0**2 / mse))


def frames(path: Path, keep: Collection[int] | None = None) -> tuple[dict[int, np.ndarray], int]:
    """The decoded RGB frames of the first video stream (all, or those numbered in
    ``keep``, counted from 0 in decode order), and how many there are."""
    kept: dict[int, np.ndarray] = {}
    count = 0
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            if keep is None or count in keep:
                kept[count] = frame.to_ndarray(format="rgb24")
            count += 1
    return kept, count


def fetch_stream(url: str, dest: Path) -> Path:
    """Play an HLS (or MP4) URL with ffmpeg's own client and keep the video stream."""
    out = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-y", "-i", url, "-map", "0:v:0", "-c", "copy", str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return dest


@dataclass(frozen=True)
class ClipMatch:
    frames: int
    first_db: float
    last_db: float
    first_neighbour_db: float
    """The best PSNR of the clip's first frame against the source's frames next to the cut:
    below ``first_db`` when the cut is on the right frame."""
    last_neighbour_db: float


def match_clip(clip: Path, source: Path, first: int, last: int) -> ClipMatch:
    """Compare the clip's first and last frames with the source's frames ``first`` and
    ``last - 1`` and with their neighbours (two each side)."""
    near = {n for f in (first, last - 1) for n in range(f - 2, f + 3) if n >= 0}
    src, _ = frames(source, near)
    got, count = frames(clip, None)
    head, tail = got[0], got[count - 1]
    if head.shape != src[first].shape:
        raise AssertionError(f"clip frames {head.shape} vs source {src[first].shape}")

    def best_other(frame: np.ndarray, exact: int) -> float:
        return max(psnr(frame, src[n]) for n in src if n != exact and abs(n - exact) <= 2)

    return ClipMatch(
        frames=count,
        first_db=psnr(head, src[first]),
        last_db=psnr(tail, src[last - 1]),
        first_neighbour_db=best_other(head, first),
        last_neighbour_db=best_other(tail, last - 1),
    )


def assert_frame_accurate(clip: Path, source: Path, first: int, last: int) -> ClipMatch:
    """The clip is frames ``[first, last)`` of the source: one frame per source frame, the
    first and last matching the source's at the cut points above ``MATCH_DB`` and better
    than any frame next to them."""
    m = match_clip(clip, source, first, last)
    assert m.frames == last - first, m
    assert m.first_db > MATCH_DB and m.first_db > m.first_neighbour_db, m
    assert m.last_db > MATCH_DB and m.last_db > m.last_neighbour_db, m
    return m
