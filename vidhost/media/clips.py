"""The ffmpeg command that cuts a clip's source out of a video's original (ADR 0067).

The cut decodes the source from a second before the clip, with the ladder chunks' timing
(``-copyts -start_at_zero``, the ``fps`` filter on the source's plan rate, ``trim`` in
frames: ``vidhost.media.chunks``), so the clip's first frame is exactly the frame the
source's ladder shows at that number, and encodes it once more at a near-lossless quality
(x264 CRF ``CLIP_CRF``, preset ``CLIP_PRESET``) with lossless audio (ALAC) into an MP4.
That file is the clip's source: it enters through ``VideoService.accept_source`` like any
upload and gets its own ladder, on the same frame rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from vidhost.media.chunks import AUDIO_SAMPLE_RATE, SEEK_PREROLL
from vidhost.media.hls import _num

CLIP_CRF = 10
"""x264 quality of a clip's source: visually lossless (the ladder encodes it again)."""
CLIP_PRESET = "ultrafast"
"""The cut is on a clip's critical path (its ladder's inner chunk is copied from the source's
segments, ADR 0067): ``ultrafast`` encodes it about 3x sooner than ``veryfast`` (on 1080p,
about a third of the time bare ffmpeg takes to encode the same span into the whole ladder,
against about as long), at about twice the bytes; at CRF 10 both are near-lossless (49 dB
against the original on testsrc2 1080p, far above what the ladder keeps)."""


def clip_command(
    ffmpeg: str,
    input_args: Sequence[str],
    out: str,
    *,
    rate: Fraction,
    first: int,
    last: int,
    video: bool,
    audio: bool,
    threads: int = 0,
) -> list[str]:
    """Frames ``[first, last)`` of the source at ``rate`` (and the audio of the same span)
    into the MP4 ``out``. ``video``/``audio``: whether the source has each stream; an
    audio-only source's ``rate`` is the AAC frame grid. ``input_args`` ends with ``-i``."""
    if not video and not audio:
        raise ValueError("nothing to cut")
    if last <= first or first < 0:
        raise ValueError("the clip needs at least one frame")
    start, end = first / rate, last / rate
    seek = max(0.0, float(start) - SEEK_PREROLL)
    chains: list[str] = []
    maps: list[str] = []
    if video:
        chains.append(
            f"[0:v:0]fps={rate.numerator}/{rate.denominator},"
            f"trim=start_pts={first}:end_pts={last},setpts=PTS-STARTPTS[v]"
        )
        maps += [
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            CLIP_PRESET,
            "-crf",
            str(CLIP_CRF),
            "-threads",
            str(threads),
        ]
    if audio:
        chains.append(
            f"[0:a:0]aresample={AUDIO_SAMPLE_RATE}:async=1,"
            f"atrim=start={_num(float(start))}:end={_num(float(end))},asetpts=PTS-STARTPTS[a]"
        )
        maps += ["-map", "[a]", "-c:a", "alac"]
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    args += ["-ss", _num(seek), "-copyts", "-start_at_zero", *input_args]
    args += ["-filter_complex", ";".join(chains), *maps]
    args += ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
    args += ["-progress", "pipe:1", "-nostats", "-f", "mp4", out]
    return args
