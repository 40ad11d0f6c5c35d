"""What an accepted source may be, checked from its headers before any frame is decoded."""

from __future__ import annotations

from dataclasses import dataclass

import av
from av.container import InputContainer
from av.video.stream import VideoStream as AvVideoStream

from vidhost.media.av_fields import frame_rate
from vidhost.media.errors import (
    DURATION_TOO_LONG,
    FRAME_RATE_TOO_HIGH,
    RESOLUTION_TOO_LARGE,
    TOO_MANY_STREAMS,
    MediaError,
)


@dataclass(frozen=True)
class MediaLimits:
    """What an accepted source may be; checked from the headers, before any frame is decoded.

    ``None`` switches a limit off. Width and height are the coded frame size of every video
    stream (what decoding allocates), frame rate that of the primary stream.
    """

    max_width: int | None = 8192
    max_height: int | None = 8192
    max_pixels: int | None = 36_000_000
    max_duration: float | None = 21600.0
    max_fps: float | None = 240.0
    max_streams: int | None = 16


def check_stream_count(container: InputContainer, limits: MediaLimits) -> None:
    count = len(container.streams)
    if limits.max_streams is not None and count > limits.max_streams:
        raise MediaError(
            TOO_MANY_STREAMS, f"The file has {count} streams; at most {limits.max_streams}."
        )


def check_duration(container: InputContainer, limits: MediaLimits) -> None:
    if limits.max_duration is not None:
        longest = container_duration(container)
        if longest > limits.max_duration:
            raise MediaError(
                DURATION_TOO_LONG,
                f"the video lasts {longest:.1f} s, longer than the {limits.max_duration:g} s limit",
            )


def check_limits(container: InputContainer, primary: AvVideoStream, limits: MediaLimits) -> None:
    """Refuse sources beyond ``limits`` from their headers alone (nothing decoded yet)."""
    check_stream_count(container, limits)
    for stream in container.streams.video:
        w, h = stream.codec_context.width, stream.codec_context.height
        too_wide = limits.max_width is not None and w > limits.max_width
        too_high = limits.max_height is not None and h > limits.max_height
        too_many = limits.max_pixels is not None and w * h > limits.max_pixels
        if too_wide or too_high or too_many:
            raise MediaError(
                RESOLUTION_TOO_LARGE,
                f"The video is {w}x{h}; at most {limits.max_width}x{limits.max_height} and "
                f"{limits.max_pixels} pixels are accepted.",
            )
    fps = frame_rate(primary)
    if limits.max_fps is not None and fps > limits.max_fps:
        raise MediaError(
            FRAME_RATE_TOO_HIGH, f"The video runs at {fps:g} fps; at most {limits.max_fps:g}."
        )
    check_duration(container, limits)


def container_duration(container: InputContainer) -> float:
    """The longest duration any header claims (container or stream)."""
    seconds = [container.duration / av.time_base if container.duration else 0.0]
    for stream in container.streams:
        if stream.duration and stream.time_base is not None:
            seconds.append(float(stream.duration * stream.time_base))
    return max(seconds)
