"""The display rotation of a video stream: the display matrix a decoded frame carries, or
the legacy ``rotate`` tag."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from typing import cast

from av.sidedata.sidedata import SideData
from av.video.frame import VideoFrame
from av.video.stream import VideoStream as AvVideoStream


def display_rotation(stream: AvVideoStream, frame: VideoFrame | None) -> int:
    """Clockwise display rotation in {0, 90, 180, 270}.

    FFmpeg exports the MP4/MOV display matrix only as side data (PyAV 18 has no getter for the
    stream's copy), which the decoder attaches to every frame; ``VideoFrame.rotation`` is its
    counter-clockwise angle. Falls back to the legacy ``rotate`` tag.
    """
    if frame is not None:
        ccw = _frame_ccw_rotation(frame)
        if ccw is not None:
            return _quantise(-ccw)
    tag = stream.metadata.get("rotate")
    if tag is not None:
        try:
            return _quantise(float(tag))
        except ValueError:
            return 0
    return 0


def _frame_ccw_rotation(frame: VideoFrame) -> float | None:
    for item in side_data(frame):
        if item.type.name != "DISPLAYMATRIX":
            continue
        try:
            return float(frame.rotation)
        except AttributeError:  # PyAV < 13: decode the 3x3 16.16/2.30 fixed-point matrix
            m = struct.unpack("<9i", bytes(item)[:36])
            scale0 = math.hypot(m[0], m[3])
            scale1 = math.hypot(m[1], m[4])
            if scale0 == 0 or scale1 == 0:
                return None
            return -math.degrees(math.atan2(m[1] / scale1, m[0] / scale0))
    return None


def side_data(frame: VideoFrame) -> list[SideData]:
    # PyAV's stub types Frame.side_data loosely; at runtime iterating yields SideData objects.
    return list(cast("Iterable[SideData]", frame.side_data))


def _quantise(degrees: float) -> int:
    return round(degrees / 90.0) % 4 * 90
