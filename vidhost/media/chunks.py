"""ffmpeg command lines for chunked HLS (ADR 0060): one chunk of every rung, and the audio.

Timestamps are the ones a single pass would give: input timestamps are kept (``-copyts``,
``-start_at_zero``), the ``fps`` filter puts every frame on the plan's constant-rate grid
(absolute frame numbers, time base ``1/fps``), ``trim`` keeps exactly the chunk's frames, and
every output adds the same ``-output_ts_offset``. So the segments of consecutive chunks follow
each other with no gap and no repeated frame, and no discontinuity tag is needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from vidhost.core.quality import RungEncoding
from vidhost.core.segments import PlannedRendition
from vidhost.media.hls import _num

CMAF_MOVFLAGS = "+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets"
"""Each segment file a fragmented MP4 (an empty ``moov``, then one ``moof``/``mdat``: the only
keyframe is the segment's first frame), its first frame presented at its decode time
(``vidhost.media.cmaf`` places it on the video's timeline)."""
SEEK_PREROLL = 1.0
"""Seconds decoded before a chunk's first frame, so that the frame-rate conversion picks the
same source frame for the chunk's first output frame as a single pass would."""
AUDIO_SAMPLE_RATE = 48_000


@dataclass(frozen=True)
class ChunkPoster:
    """A JPEG of one frame of a chunk, written by the chunk's own pass."""

    frame: int
    """Chunk-relative frame number."""
    width: int
    """Scaled to this width, keeping the aspect ratio (even height)."""
    path: str


NO_SOURCE_METADATA = ("-map_metadata", "-1", "-map_chapters", "-1")
"""The upload's own tags (title, a phone's location, device, chapters) stay out of what every
viewer downloads: ffmpeg copies the first input's global metadata into each output (the init
segment's ``udta``/``meta``) unless told not to. Mux and YouTube serve none of it either."""


def build_chunk_command(
    ffmpeg: str,
    input_args: Sequence[str],
    out_dir: str,
    rungs: Sequence[PlannedRendition],
    *,
    fps: Fraction,
    start_frame: int,
    end_frame: int | None,
    segment_frames: Sequence[int],
    first_segment: int,
    ts_offset: float,
    preset: str = "veryfast",
    threads: int = 0,
    strict: bool = True,
    pad_frames: int = 0,
    timescale: int | None = None,
    poster: ChunkPoster | None = None,
    inits: Sequence[PlannedRendition] = (),
    encodings: Mapping[str, RungEncoding] | None = None,
    stitchable: bool = False,
) -> list[str]:
    """Decode frames ``[start_frame, end_frame)`` (``None``: to the end) of the source once
    and write every rung as MPEG-TS segments ``<rung>_<n>.ts`` (numbered from
    ``first_segment``) into ``out_dir``. ``segment_frames`` are the chunk-relative frame
    numbers where segments after the first start; each of them, and frame 0, is an IDR frame,
    and there is no other keyframe. ``input_args`` ends with ``-i <source>``.
    ``pad_frames`` (the last chunk): when the video stream ends up to that many frames before
    ``end_frame`` (a container whose audio lasts longer), the last frame is repeated to fill.
    ``timescale``: CMAF (ADR 0063): each segment a fragmented MP4 ``<rung>_<n>.mp4`` whose
    track counts ``timescale`` ticks a second (the same for every chunk); None: MPEG-TS.
    ``poster``: also write that frame of the chunk as a JPEG (the same decode: no second
    ffmpeg reading the source while the video's first segments are made, ADR 0062).
    ``inits`` (CMAF): rungs encoded for the chunk's first frame only, into
    ``init-<rung>_<n>.mp4``, whose init segment is the one every chunk of that rung writes: a
    player switching to that rung then finds it stored (ADR 0064).
    ``encodings``: each named rung's rate control (a capped CRF, ADR 0046); a rung not named
    is encoded at its planned average rate, maxrate and buffer (the fixed ladder).
    ``stitchable``: headers that do not depend on the rate control (x264 ``stitchable``: a
    CRF chunk's picture parameter set is the same as an average-rate one's), so chunks
    encoded with different rate controls share one CMAF init segment.
    """
    if not rungs and not inits:
        raise ValueError("at least one rung")
    if inits and timescale is None:
        raise ValueError("init segments are CMAF's")
    outputs = [*((r, r.name) for r in rungs), *((r, f"init-{r.name}") for r in inits)]
    starts = [0, *segment_frames]
    keyframes = "+".join(f"eq(n,{n})" for n in starts)
    count = len(outputs) + (1 if poster is not None else 0)
    seek = max(0.0, float(start_frame / fps) - SEEK_PREROLL)
    trim = f"trim=start_pts={start_frame}" + (f":end_pts={end_frame}" if end_frame else "")
    pad = f"tpad=stop={pad_frames}:stop_mode=clone," if pad_frames > 0 else ""
    chains = [
        f"[0:v:0]fps={fps.numerator}/{fps.denominator},{pad}{trim},"
        f"split={count}" + "".join(f"[s{i}]" for i in range(count))
    ]
    chains += [
        f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]" for i, (r, _) in enumerate(outputs)
    ]
    if poster is not None:
        if poster.frame < 0 or (end_frame is not None and poster.frame >= end_frame - start_frame):
            raise ValueError("the poster frame must be inside the chunk")
        chains.append(
            f"[s{len(outputs)}]select=eq(n\\,{poster.frame}),scale={poster.width}:-2[poster]"
        )
    frames = end_frame - start_frame if end_frame else None
    gop = (frames or 100_000) + 1
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    if strict:
        args.append("-xerror")
    args += ["-ss", _num(seek), "-copyts", "-start_at_zero", *input_args]
    args += ["-filter_complex", ";".join(chains), "-progress", "pipe:1", "-nostats"]
    cuts = ["-segment_frames", ",".join(str(n) for n in segment_frames)] if segment_frames else []
    for i, (rung, name) in enumerate(outputs):
        args += ["-map", f"[v{i}]"]
        if name != rung.name:
            args += ["-frames:v", "1"]  # the init segment is what it is for
        args += [
            "-an",
            "-sn",
            *NO_SOURCE_METADATA,
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-threads",
            str(threads),
            *rate_args((encodings or {}).get(rung.name), rung),
            *(["-x264-params", "stitchable=1"] if stitchable else []),
            "-g",
            str(gop),
            "-keyint_min",
            str(gop),
            "-sc_threshold",
            "0",
            "-forced-idr",
            "1",
            "-force_key_frames",
            f"expr:{keyframes}",
        ]
        args += _segments(
            out_dir, name, ts_offset, first_segment, cuts if name == rung.name else [], timescale
        )
    if poster is not None:
        args += ["-map", "[poster]", "-an", "-sn", "-frames:v", "1", "-q:v", "3"]
        args += ["-f", "image2", "-update", "1", poster.path]
    return args


def rate_args(encoding: RungEncoding | None, rung: PlannedRendition) -> list[str]:
    """libx264's rate control for ``rung``: ``encoding``'s capped CRF or average rate, or
    (None) the rung's planned average rate, maxrate and buffer."""
    if encoding is None:
        rate = ["-b:v", str(rung.video_bitrate)]
        peak, buffer = rung.max_bitrate, rung.buffer_size
    else:
        if encoding.crf is None:
            rate = ["-b:v", str(encoding.bitrate)]
        else:
            rate = ["-crf", _num(encoding.crf)]
        peak, buffer = encoding.max_bitrate, encoding.buffer_size
    return [*rate, "-maxrate:v", str(peak), "-bufsize:v", str(buffer)]


def build_audio_command(
    ffmpeg: str,
    input_args: Sequence[str],
    out_dir: str,
    name: str,
    *,
    duration: float,
    boundaries: Sequence[float],
    bitrate: int,
    ts_offset: float,
    strict: bool = True,
    cmaf: bool = False,
    gain: str | None = None,
) -> list[str]:
    """Encode the first audio stream once, as stereo AAC, cut into segments at
    ``boundaries`` (seconds, after 0): fragmented MP4 ``<name>_<n>.mp4`` with ``cmaf``, else
    MPEG-TS ``<name>_<n>.ts``. Padded with silence or cut to exactly ``duration``, so there
    is one audio segment per planned segment. ``gain``: filters applied to the resampled
    audio before the padding (the loudness normalisation, ``media.enhance.audio_filters``)."""
    level = f"{gain}," if gain else ""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    if strict:
        args.append("-xerror")
    args += ["-copyts", "-start_at_zero", *input_args]
    args += [
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        *NO_SOURCE_METADATA,
        "-af",
        f"aresample={AUDIO_SAMPLE_RATE}:async=1,{level}apad=whole_dur={_num(duration)},"
        f"atrim=end={_num(duration)}",
        "-c:a",
        "aac",
        "-b:a",
        str(bitrate),
        "-ac",
        "2",
        "-ar",
        str(AUDIO_SAMPLE_RATE),
        "-progress",
        "pipe:1",
        "-nostats",
    ]
    cuts = ["-segment_times", ",".join(f"{t:.9f}" for t in boundaries)] if boundaries else []
    return args + _segments(out_dir, name, ts_offset, 0, cuts, AUDIO_SAMPLE_RATE if cmaf else None)


def _segments(
    out_dir: str,
    name: str,
    ts_offset: float,
    first: int,
    cuts: Sequence[str],
    timescale: int | None,
) -> list[str]:
    """The segment muxer output ``<name>_<n>.ts`` or, with a ``timescale`` (CMAF),
    ``<name>_<n>.mp4`` (from ``first``), cut at ``cuts`` (the muxer's option and its list;
    none: one segment). CMAF timestamps are set afterwards (``vidhost.media.cmaf``)."""
    if timescale is None:
        form = ["-output_ts_offset", _num(ts_offset), "-segment_format", "mpegts"]
        extension = "ts"
    else:
        options = f"movflags={CMAF_MOVFLAGS}:video_track_timescale={timescale}"
        form = ["-segment_format", "mp4", "-segment_format_options", options]
        extension = "mp4"
    return [
        "-f",
        "segment",
        *form,
        "-segment_start_number",
        str(first),
        "-reset_timestamps",
        "0",
        *(cuts or ["-segment_time", "100000"]),
        os.path.join(out_dir, f"{name}_%05d.{extension}"),
    ]
