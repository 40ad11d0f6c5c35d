"""The probe's raw dump: an ffprobe-like, JSON-serialisable description of the container
and every stream (kept on the video, shown by the analysis)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
from av.audio.stream import AudioStream as AvAudioStream
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream as AvVideoStream

from vidhost.media.av_fields import (
    COLOR_PRIMARIES,
    COLOR_RANGE,
    COLOR_SPACE,
    COLOR_TRC,
    FIELD_ORDER,
    positive,
)
from vidhost.media.rotation import side_data


def seconds_of(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _ratio(value: Fraction | None, sep: str = "/") -> str | None:
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
        streams.append(_raw_stream(stream, primary, rotation, frame))
    return {"format": fmt, "streams": streams}


def _raw_stream(
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
    info["time_base"] = _ratio(stream.time_base)
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
            sample_aspect_ratio=_ratio(stream.sample_aspect_ratio, ":"),
            display_aspect_ratio=_ratio(stream.display_aspect_ratio, ":"),
            avg_frame_rate=_ratio(stream.average_rate),
            r_frame_rate=_ratio(stream.base_rate),
            field_order=FIELD_ORDER.get(vcc.field_order, "unknown"),
            color_range=COLOR_RANGE.get(vcc.color_range),
            color_space=COLOR_SPACE.get(vcc.colorspace),
            color_primaries=COLOR_PRIMARIES.get(vcc.color_primaries),
            color_transfer=COLOR_TRC.get(vcc.color_trc),
        )
        if stream is primary:
            info["rotation"] = rotation
            if frame is not None:
                info["side_data"] = [sd.type.name for sd in side_data(frame)]
    elif isinstance(stream, AvAudioStream):
        acc = stream.codec_context
        info.update(
            sample_rate=acc.sample_rate,
            channels=acc.channels,
            channel_layout=acc.layout.name,
            sample_fmt=acc.format.name if acc.format is not None else None,
        )
    return info
