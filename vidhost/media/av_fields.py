"""What PyAV's numeric stream fields mean: ffmpeg's enum values by name, the frame rate
and the codec a stream declares (shared by the probe, its limits and its dump)."""

from __future__ import annotations

from typing import Any

from av.audio.stream import AudioStream as AvAudioStream
from av.video.stream import VideoStream as AvVideoStream

FIELD_ORDER = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}
COLOR_SPACE = {
    0: "gbr",
    1: "bt709",
    4: "fcc",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "ycgco",
    9: "bt2020nc",
    10: "bt2020c",
    11: "smpte2085",
    12: "chroma-derived-nc",
    13: "chroma-derived-c",
    14: "ictcp",
    15: "ipt-c2",
    16: "ycgco-re",
    17: "ycgco-ro",
}
COLOR_PRIMARIES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "film",
    9: "bt2020",
    10: "smpte428",
    11: "smpte431",
    12: "smpte432",
    22: "ebu3213",
}
COLOR_TRC = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    9: "log100",
    10: "log316",
    11: "iec61966-2-4",
    12: "bt1361e",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    17: "smpte428",
    18: "arib-std-b67",
}
COLOR_RANGE = {1: "tv", 2: "pc"}


def codec_name(stream: AvVideoStream | AvAudioStream | Any) -> str:
    codec = stream.codec_context.codec
    return str(getattr(codec, "canonical_name", None) or codec.name)


def frame_rate(stream: AvVideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            return float(rate)
    return 0.0


def positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None
