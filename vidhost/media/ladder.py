"""Choosing the adaptive-bitrate ladder (renditions) for a source video."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from vidhost.core.quality import DEFAULT_CRF, capped_encoding

DEFAULT_HEIGHTS: tuple[int, ...] = (1080, 720, 480, 360, 240)
TALL_HEIGHTS: tuple[int, ...] = (2160, 1440)
"""Rungs above 1080p, for sources that large, when the server's ``max_resolution`` admits
them (issue 23)."""

# (pixels per frame, video bits/s) reference points for 16:9 renditions.
_REFERENCE_BITRATES: tuple[tuple[int, int], ...] = (
    (426 * 240, 400_000),
    (640 * 360, 800_000),
    (854 * 480, 1_400_000),
    (1280 * 720, 2_800_000),
    (1920 * 1080, 5_000_000),
    (2560 * 1440, 8_000_000),
    (3840 * 2160, 16_000_000),
)
_MIN_VIDEO_BITRATE = 100_000
_MAXRATE_FACTOR = 1.07
_BUFSIZE_FACTOR = 1.5
_AUDIO_BITRATE = 128_000
_AUDIO_BITRATE_SMALL = 96_000  # rungs with a short side <= 360
AUDIO_ONLY_BITRATE = _AUDIO_BITRATE
"""The AAC bitrate of an audio-only video's one rendition (ADR 0066)."""
_SMALL_RUNG = 360


@dataclass(frozen=True)
class Rung:
    """One rendition. ``width``/``height`` are output (display, upright) pixels; rates in bits/s."""

    name: str
    width: int
    height: int
    video_bitrate: int
    max_bitrate: int
    buffer_size: int
    audio_bitrate: int


def select_ladder(
    display_width: int,
    display_height: int,
    heights: Sequence[int] = DEFAULT_HEIGHTS,
) -> list[Rung]:
    """Pick renditions for a source shown at ``display_width`` x ``display_height``.

    A rung "height" is the length of the *short* side, so a portrait 1080x1920 source at the
    720 rung becomes 720x1280. Rungs larger than the source are skipped (no upscaling); if every
    rung is larger, a single rung at the source size is returned. Dimensions keep the aspect
    ratio and are even (libx264 with yuv420p needs that). Highest rung first.
    """
    if display_width <= 0 or display_height <= 0:
        raise ValueError(f"invalid display size {display_width}x{display_height}")
    portrait = display_height > display_width
    short_side = min(display_width, display_height)
    long_side = max(display_width, display_height)

    rungs: list[Rung] = []
    seen: set[tuple[int, int]] = set()
    for target in sorted({h for h in heights if h > 0}, reverse=True):
        if target > short_side:
            continue
        short_px = min(_even(target), _even_floor(short_side))
        long_px = min(_even(target * long_side / short_side), _even_floor(long_side))
        dims = (long_px, short_px) if not portrait else (short_px, long_px)
        if dims in seen:
            continue
        seen.add(dims)
        rungs.append(_make_rung(f"{target}p", dims[0], dims[1], short_px))

    if not rungs:
        width, height = _even_floor(display_width), _even_floor(display_height)
        short_px = min(width, height)
        rungs.append(_make_rung(f"{short_px}p", width, height, short_px))
    return rungs


def video_bitrate_for(width: int, height: int) -> int:
    """Target average video bitrate (bits/s) for a rendition of ``width`` x ``height``.

    Interpolated log-log between the reference points (16 Mb/s at 2160p, 8 at 1440p, 5 at
    1080p, down to 0.4 Mb/s at 240p) by pixel count, so portrait and landscape of the same
    size get the same rate; proportional to pixel count beyond the ends, never below
    100 kb/s. Rounded to 1 kb/s.
    """
    pixels = max(1, width * height)
    refs = _REFERENCE_BITRATES
    if pixels <= refs[0][0]:
        rate = refs[0][1] * pixels / refs[0][0]
    elif pixels >= refs[-1][0]:
        rate = refs[-1][1] * pixels / refs[-1][0]
    else:
        rate = float(refs[-1][1])
        for (p0, r0), (p1, r1) in itertools.pairwise(refs):
            if p0 <= pixels <= p1:
                frac = math.log(pixels / p0) / math.log(p1 / p0)
                rate = math.exp(math.log(r0) + frac * (math.log(r1) - math.log(r0)))
                break
    return max(_MIN_VIDEO_BITRATE, round(rate / 1000) * 1000)


def _make_rung(name: str, width: int, height: int, short_px: int) -> Rung:
    video = video_bitrate_for(width, height)
    return Rung(
        name=name,
        width=width,
        height=height,
        video_bitrate=video,
        max_bitrate=round(video * _MAXRATE_FACTOR),
        buffer_size=round(video * _BUFSIZE_FACTOR),
        audio_bitrate=_AUDIO_BITRATE_SMALL if short_px <= _SMALL_RUNG else _AUDIO_BITRATE,
    )


def with_cap(rung: Rung, *, top: bool = True) -> Rung:
    """``rung`` of a content-aware ladder (ADR 0046): its maxrate and buffer are the cap a
    capped-CRF encode of it may reach (``vidhost.core.quality.capped_encoding``; ``top``:
    the ladder's top rung, the others keep the fixed ladder's peak); its average rate stays
    the fixed ladder's (the first chunk's start rungs use it)."""
    cap = capped_encoding(rung.video_bitrate, DEFAULT_CRF, top=top)
    return replace(rung, max_bitrate=cap.max_bitrate, buffer_size=cap.buffer_size)


def _even(value: float) -> int:
    """Nearest even integer, at least 2."""
    return max(2, 2 * round(value / 2))


def _even_floor(value: int) -> int:
    """Largest even integer <= value, at least 2."""
    return max(2, value - value % 2)
