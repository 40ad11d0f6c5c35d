"""The ffprobe-like dump of a probe (``MediaInfo.raw``): format and every stream, JSON-ready,
and the name tables it (and the probe) read codes with."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any, cast

import av
from av.audio.stream import AudioStream as AvAudioStream
from av.container import InputContainer
from av.sidedata.sidedata import SideData
from av.stream import Disposition
from av.video.frame import VideoFrame
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


def side_data_of(frame: VideoFrame) -> list[SideData]:
    # PyAV's stub types Frame.side_data loosely; at runtime iterating yields SideData objects.
    return list(cast("Iterable[SideData]", frame.side_data))


def positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None


def seconds_of(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def ratio(value: Fraction | None, sep: str = "/") -> str | None:
    if value is None:
        return None
    return f"{value.numerator}{sep}{value.denominator}"


def raw_dump(
    container: InputContainer,
    size: int,
    duration: float,
    primary: AvVideoStream | None,
    rotation: int,
    frame: VideoFrame | None,
) -> dict[str, Any]:
    fmt: dict[str, Any] = {
        "format_name": container.format.name,
        "format_long_name": container.format.long_name,
        "nb_streams": len(container.streams),
        "duration": duration,
        "start_time": (
            container.start_time / av.time_base if container.start_time is not None else None
        ),
        "size": size,
        "bit_rate": positive(container.bit_rate),
        "tags": {str(k): str(v) for k, v in container.metadata.items()},
    }
    streams: list[dict[str, Any]] = []
    for stream in container.streams:
        streams.append(raw_stream(stream, primary, rotation, frame))
    return {"format": fmt, "streams": streams}


def raw_stream(
    stream: Any, primary: AvVideoStream | None, rotation: int, frame: VideoFrame | None
) -> dict[str, Any]:
    info: dict[str, Any] = {"index": stream.index, "codec_type": stream.type}
    cc = stream.codec_context
    if cc is not None:
        codec = cc.codec
        info["codec_name"] = str(getattr(codec, "canonical_name", None) or codec.name)
        info["codec_long_name"] = codec.long_name
        info["codec_tag"] = cc.codec_tag or None
        info["bit_rate"] = positive(cc.bit_rate)
    info["profile"] = stream.profile
    info["time_base"] = ratio(stream.time_base)
    info["start_time"] = seconds_of(stream.start_time, stream.time_base)
    info["duration"] = seconds_of(stream.duration, stream.time_base)
    info["nb_frames"] = stream.frames or None
    info["language"] = stream.language
    info["disposition"] = [
        flag.name for flag in Disposition if flag.name and stream.disposition & flag
    ]
    info["tags"] = {str(k): str(v) for k, v in stream.metadata.items()}

    if isinstance(stream, AvVideoStream):
        vcc = stream.codec_context
        info.update(
            width=vcc.width,
            height=vcc.height,
            pix_fmt=vcc.pix_fmt,
            level=vcc.level if vcc.level > 0 else None,
            has_b_frames=bool(vcc.has_b_frames),
            sample_aspect_ratio=ratio(stream.sample_aspect_ratio, ":"),
            display_aspect_ratio=ratio(stream.display_aspect_ratio, ":"),
            avg_frame_rate=ratio(stream.average_rate),
            r_frame_rate=ratio(stream.base_rate),
            field_order=FIELD_ORDER.get(vcc.field_order, "unknown"),
            color_range=COLOR_RANGE.get(vcc.color_range),
            color_space=COLOR_SPACE.get(vcc.colorspace),
            color_primaries=COLOR_PRIMARIES.get(vcc.color_primaries),
            color_transfer=COLOR_TRC.get(vcc.color_trc),
        )
        if stream is primary:
            info["rotation"] = rotation
            if frame is not None:
                info["side_data"] = [sd.type.name for sd in side_data_of(frame)]
    elif isinstance(stream, AvAudioStream):
        acc = stream.codec_context
        info.update(
            sample_rate=acc.sample_rate,
            channels=acc.channels,
            channel_layout=acc.layout.name,
            sample_fmt=acc.format.name if acc.format is not None else None,
        )
    return info
