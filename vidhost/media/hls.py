"""ffmpeg command lines for posters (a frame, or an audio-only video's waveform) and for the
single-pass ladder (the benchmark's baseline, ``benchmarks/transcode.py``), and the
``CODECS`` of a rung."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from vidhost.media.formats import input_args
from vidhost.media.ladder import Rung

_DEFAULT_FPS = 30.0

# H.264 levels: (level_idc, max macroblocks per frame, max macroblocks per second).
_H264_LEVELS: tuple[tuple[int, int, int], ...] = (
    (10, 99, 1_485),
    (11, 396, 3_000),
    (12, 396, 6_000),
    (13, 396, 11_880),
    (20, 396, 11_880),
    (21, 792, 19_800),
    (22, 1_620, 20_250),
    (30, 1_620, 40_500),
    (31, 3_600, 108_000),
    (32, 5_120, 216_000),
    (40, 8_192, 245_760),
    (42, 8_704, 522_240),
    (50, 22_080, 589_824),
    (51, 36_864, 983_040),
    (52, 36_864, 2_073_600),
    (60, 139_264, 4_177_920),
    (61, 139_264, 8_355_840),
    (62, 139_264, 16_711_680),
)
_AAC_LC_CODEC = "mp4a.40.2"
_H264_HIGH_PROFILE_IDC = 0x64


def build_hls_command(
    ffmpeg: str,
    source: str,
    out_dir: str,
    ladder: Sequence[Rung],
    *,
    has_audio: bool,
    fps: float,
    segment_seconds: float = 4.0,
    preset: str = "veryfast",
    threads: int = 0,
    master_name: str = "master.m3u8",
) -> list[str]:
    """One ffmpeg invocation that decodes ``source`` once and writes every rendition as HLS.

    Output in ``out_dir``: ``master.m3u8`` (``master_name``), one ``<rung>.m3u8`` per rung and
    MPEG-TS segments ``<rung>_00000.ts``. Keyframes are forced at every segment boundary in all
    renditions (aligned switching points). Autorotation stays on, so rung sizes must be computed
    from the *display* (rotated) size. When ``has_audio`` the first audio stream is encoded to
    stereo AAC once per variant (muxed into each variant's segments); otherwise no audio is
    mapped at all. Progress goes to stdout (``-progress pipe:1``) for
    :func:`vidhost.media.runner.run_ffmpeg`.
    """
    if not ladder:
        raise ValueError("ladder must contain at least one rung")
    if segment_seconds <= 0:
        raise ValueError("segment_seconds must be positive")
    names = [rung.name for rung in ladder]
    if len(set(names)) != len(names):
        raise ValueError(f"rung names must be unique: {names}")

    seg = _num(segment_seconds)
    gop = keyframe_interval(fps, segment_seconds)
    count = len(ladder)

    split_outputs = "".join(f"[s{i}]" for i in range(count))
    chains = [f"[0:v:0]split={count}{split_outputs}"]
    chains += [f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]" for i, r in enumerate(ladder)]

    args: list[str] = [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-y",
        *input_args(None),
        "-i",
        source,
        "-filter_complex",
        ";".join(chains),
    ]
    for i, rung in enumerate(ladder):
        args += [
            "-map",
            f"[v{i}]",
            f"-c:v:{i}",
            "libx264",
            f"-b:v:{i}",
            str(rung.video_bitrate),
            f"-maxrate:v:{i}",
            str(rung.max_bitrate),
            f"-bufsize:v:{i}",
            str(rung.buffer_size),
        ]
    if has_audio:
        for i, rung in enumerate(ladder):
            args += ["-map", "0:a:0", f"-c:a:{i}", "aac", f"-b:a:{i}", str(rung.audio_bitrate)]
        args += ["-ac", "2"]
    args += [
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-threads",
        str(threads),
        "-g",
        str(gop),
        "-keyint_min",
        str(gop),
        "-sc_threshold",
        "0",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{seg})",
        "-f",
        "hls",
        "-hls_time",
        seg,
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "independent_segments",
        "-hls_segment_type",
        "mpegts",
        "-hls_segment_filename",
        os.path.join(out_dir, "%v_%05d.ts"),
        "-master_pl_name",
        master_name,
        "-var_stream_map",
        var_stream_map(ladder, has_audio=has_audio),
        "-progress",
        "pipe:1",
        "-nostats",
        os.path.join(out_dir, "%v.m3u8"),
    ]
    return args


def var_stream_map(ladder: Sequence[Rung], *, has_audio: bool) -> str:
    """The ``-var_stream_map`` value, e.g. ``"v:0,a:0,name:720p v:1,a:1,name:480p"``."""
    parts = []
    for i, rung in enumerate(ladder):
        audio = f"a:{i}," if has_audio else ""
        parts.append(f"v:{i},{audio}name:{rung.name}")
    return " ".join(parts)


def keyframe_interval(fps: float, segment_seconds: float) -> int:
    """GOP length in frames for one segment (``-g``/``-keyint_min``); 30 fps if ``fps`` unknown."""
    rate = fps if math.isfinite(fps) and fps > 0 else _DEFAULT_FPS
    return max(1, round(rate * segment_seconds))


def build_poster_command(
    ffmpeg: str,
    source: str,
    out_path: str,
    *,
    at_seconds: float,
    width: int | None = None,
    input_format: str | None = None,
) -> list[str]:
    """ffmpeg command writing one JPEG frame of ``source`` at ``at_seconds`` to ``out_path``.

    Fast input seeking (``-ss`` before ``-i``); autorotation on, so the poster is upright.
    ``width`` scales to that width keeping the aspect ratio (even height). ``at_seconds`` must be
    inside the video, otherwise ffmpeg writes no file.
    """
    args = [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-ss",
        _num(max(0.0, at_seconds)),
        *input_args(input_format),
        "-i",
        source,
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-frames:v",
        "1",
    ]
    if width is not None:
        if width <= 0:
            raise ValueError("width must be positive")
        args += ["-vf", f"scale={width}:-2"]
    args += ["-q:v", "3", "-f", "image2", "-update", "1", out_path]
    return args


WAVEFORM_COLOR = "0x4f9dff"


def build_waveform_command(
    ffmpeg: str,
    source: str,
    out_path: str,
    *,
    width: int = 1280,
    height: int = 720,
    input_format: str | None = None,
) -> list[str]:
    """ffmpeg command writing the waveform of ``source``'s first audio stream, the whole of
    it, as one JPEG (``showwavespic``): the poster of an audio-only video (ADR 0066)."""
    if width <= 0 or height <= 0:
        raise ValueError("the size must be positive")
    graph = (
        f"[0:a:0]aformat=channel_layouts=mono,"
        f"showwavespic=s={width}x{height}:colors={WAVEFORM_COLOR}:scale=sqrt,"
        "format=yuvj420p[wave]"
    )
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-y",
        *input_args(input_format),
        "-i",
        source,
        "-filter_complex",
        graph,
        "-map",
        "[wave]",
        "-frames:v",
        "1",
        "-q:v",
        "3",
        "-f",
        "image2",
        "-update",
        "1",
        "-progress",
        "pipe:1",
        "-nostats",
        out_path,
    ]


def codecs_string(rung: Rung, *, has_audio: bool, fps: float = _DEFAULT_FPS) -> str:
    """RFC 6381 CODECS value for a rung, e.g. ``"avc1.640028,mp4a.40.2"``."""
    level = h264_level(rung.width, rung.height, fps)
    video = f"avc1.{_H264_HIGH_PROFILE_IDC:02x}00{level:02x}"
    return f"{video},{_AAC_LC_CODEC}" if has_audio else video


def h264_level(width: int, height: int, fps: float = _DEFAULT_FPS) -> int:
    """Smallest H.264 ``level_idc`` (e.g. 40 for 4.0) fitting the frame size and rate."""
    rate = fps if math.isfinite(fps) and fps > 0 else _DEFAULT_FPS
    macroblocks = math.ceil(width / 16) * math.ceil(height / 16)
    per_second = macroblocks * rate
    for level, max_fs, max_mbps in _H264_LEVELS:
        if macroblocks <= max_fs and per_second <= max_mbps:
            return level
    return _H264_LEVELS[-1][0]


def _num(value: float) -> str:
    """Compact decimal for command lines: 4.0 -> "4", 2.5 -> "2.5"."""
    return f"{value:.6f}".rstrip("0").rstrip(".")
