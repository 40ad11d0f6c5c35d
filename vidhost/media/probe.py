"""Probing media files with PyAV (there is no ffprobe binary)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import av
from av.audio.stream import AudioStream as AvAudioStream
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream as AvVideoStream

from vidhost.media.av_fields import COLOR_SPACE, FIELD_ORDER, codec_name, frame_rate, positive
from vidhost.media.errors import (
    CORRUPT_MEDIA,
    EMPTY_FILE,
    NOT_A_VIDEO,
    MediaError,
    scrub_paths,
)
from vidhost.media.formats import open_input
from vidhost.media.probe_dump import raw_dump, seconds_of
from vidhost.media.probe_limits import (
    MediaLimits,
    check_duration,
    check_limits,
    check_stream_count,
)
from vidhost.media.rotation import display_rotation

# How much work the decode check may do before calling the stream undecodable.
_DECODE_FRAMES = 2
_DECODE_MAX_PACKETS = 600
# Index entries per stream inspected for the truncation check (the last ones sit furthest in).
_TRUNCATION_TAIL = 32


@dataclass
class VideoStream:
    """The primary video stream.

    ``width``/``height`` are the coded (stored) frame size. ``display_width``/``display_height``
    are what a player shows: sample aspect ratio applied, then swapped when ``rotation`` is 90 or
    270. ``rotation`` is the clockwise rotation a player applies, in {0, 90, 180, 270} (the
    legacy ``rotate`` tag convention; a portrait phone clip is usually 90).
    """

    codec: str
    width: int
    height: int
    display_width: int
    display_height: int
    rotation: int
    fps: float
    frame_count: int | None
    pix_fmt: str | None
    field_order: str | None
    color_space: str | None
    bit_rate: int | None


@dataclass
class AudioStream:
    """The primary audio stream."""

    codec: str
    channels: int
    sample_rate: int
    bit_rate: int | None


@dataclass
class MediaInfo:
    """Probe result. ``raw`` is a JSON-serialisable ffprobe-like dump (format + all streams)."""

    format_name: str
    duration: float
    size_bytes: int
    bit_rate: int | None
    video: VideoStream | None
    audio: AudioStream | None
    tags: dict[str, str]
    raw: dict[str, Any]


def probe(
    path: str | os.PathLike[str],
    *,
    decode_check: bool = True,
    limits: MediaLimits | None = None,
    format_name: str | None = None,
) -> MediaInfo:
    """Inspect a media file without decoding more than a couple of frames.

    A file with no video stream (cover art aside) but an audio stream is an audio-only source
    (ADR 0066): ``video`` is ``None`` and its audio is checked instead.

    Raises :class:`MediaError` with code ``empty_file`` (0 bytes), ``not_a_video`` (not a media
    container PyAV can open, a still image, or neither a video stream other than cover art nor
    an audio stream) or, when
    ``decode_check``, ``corrupt_media`` (the first video (or audio) frames cannot be decoded, or the
    container's sample index points past the end of the file, i.e. a truncated upload).
    Only the containers of :data:`vidhost.media.formats.DEMUXERS` are read, from the
    ``file`` protocol only; ``format_name`` forces one (a later probe of an accepted source).
    ``limits`` are checked before anything is decoded (codes ``resolution_too_large``,
    ``duration_too_long``, ``frame_rate_too_high``, ``too_many_streams``).
    A missing path raises :class:`FileNotFoundError`. Run it through
    :func:`vidhost.media.sandbox.probe_isolated` for files from users.
    """
    fspath = os.fspath(path)
    size = os.stat(fspath).st_size
    if size == 0:
        raise MediaError(EMPTY_FILE, "The file is empty.")
    with open_input(fspath, format_name) as container:
        return _probe_container(container, size, decode_check=decode_check, limits=limits)


def _probe_container(
    container: InputContainer, size: int, *, decode_check: bool, limits: MediaLimits | None
) -> MediaInfo:
    format_name = container.format.name
    vstream = _primary_video(container)
    astream = container.streams.audio[0] if container.streams.audio else None
    if vstream is None:
        if astream is None:
            raise MediaError(NOT_A_VIDEO, "The file has no video or audio stream.")
        return _probe_audio_only(container, astream, size, decode_check=decode_check, limits=limits)
    if limits is not None:
        check_limits(container, vstream, limits)

    if decode_check:
        _check_not_truncated(container, size)
    frame = _first_frame(container, vstream, strict=decode_check)
    rotation = display_rotation(vstream, frame)
    video = _video_info(vstream, rotation)
    audio = _audio_info(astream) if astream is not None else None
    duration = _duration(container, vstream, video)
    return MediaInfo(
        format_name=format_name,
        duration=duration,
        size_bytes=size,
        bit_rate=positive(container.bit_rate),
        video=video,
        audio=audio,
        tags={str(k): str(v) for k, v in container.metadata.items()},
        raw=raw_dump(container, size, duration, vstream, rotation, frame),
    )


def _probe_audio_only(
    container: InputContainer,
    stream: AvAudioStream,
    size: int,
    *,
    decode_check: bool,
    limits: MediaLimits | None,
) -> MediaInfo:
    """An audio file (ADR 0066): the same checks as a video's, on its first audio stream."""
    if limits is not None:
        check_stream_count(container, limits)
        check_duration(container, limits)
    if decode_check:
        _check_not_truncated(container, size)
        _first_audio(container, stream)
    duration = _audio_duration(container, stream)
    if duration <= 0:
        raise MediaError(CORRUPT_MEDIA, "The audio has no duration.")
    dump = raw_dump(container, size, duration, None, 0, None)
    return MediaInfo(
        format_name=container.format.name,
        duration=duration,
        size_bytes=size,
        bit_rate=positive(container.bit_rate),
        video=None,
        audio=_audio_info(stream),
        tags={str(k): str(v) for k, v in container.metadata.items()},
        raw=dump,
    )


def _audio_duration(container: InputContainer, stream: AvAudioStream) -> float:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return seconds_of(stream.duration, stream.time_base) or 0.0


def _first_audio(container: InputContainer, stream: AvAudioStream) -> None:
    """Decode the first audio frame (``corrupt_media`` if none within the packet budget)."""
    error: Exception | None = None
    packets = 0
    try:
        for packet in container.demux(stream):
            packets += 1
            try:
                if packet.decode():
                    return
            except (av.error.FFmpegError, ValueError) as exc:
                error = exc
            if packets >= _DECODE_MAX_PACKETS:
                break
    except (av.error.FFmpegError, ValueError) as exc:
        error = exc
    detail = f" ({scrub_paths(str(error))})" if error is not None else ""
    raise MediaError(CORRUPT_MEDIA, f"The audio stream cannot be decoded{detail}.") from error


def _primary_video(container: InputContainer) -> AvVideoStream | None:
    candidates = [
        s for s in container.streams.video if not s.disposition & Disposition.attached_pic
    ]
    if not candidates:
        return None
    defaults = [s for s in candidates if s.disposition & Disposition.default]
    return (defaults or candidates)[0]


def _check_not_truncated(container: InputContainer, size: int) -> None:
    """Indexed containers (MP4/MOV) list every sample's offset; past EOF means truncated."""
    end = 0
    for stream in container.streams:
        entries = stream.index_entries
        count = len(entries)
        for i in range(max(0, count - _TRUNCATION_TAIL), count):
            entry = entries[i]
            end = max(end, entry.pos + entry.size)
    if end > size:
        raise MediaError(
            CORRUPT_MEDIA,
            f"The file is truncated: media data extends to byte {end} but the file has {size}.",
        )


def _first_frame(
    container: InputContainer, stream: AvVideoStream, *, strict: bool
) -> VideoFrame | None:
    """Decode the first frame(s). ``strict``: failure raises ``corrupt_media``, else ``None``.

    Decoder errors before the first picture are tolerated (a stream cut mid-GOP, e.g. MPEG-TS,
    only decodes from its first keyframe), within a budget of ``_DECODE_MAX_PACKETS`` packets.
    """
    first: VideoFrame | None = None
    decoded = 0
    packets = 0
    error: Exception | None = None
    try:
        for packet in container.demux(stream):
            packets += 1
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError) as exc:
                error = exc
                frames = []
            for frame in frames:
                if isinstance(frame, VideoFrame):
                    if first is None:
                        first = frame
                    decoded += 1
            if decoded >= _DECODE_FRAMES or packets >= _DECODE_MAX_PACKETS:
                break
    except (av.error.FFmpegError, ValueError) as exc:  # demuxing failed
        error = exc
    if first is None and strict:
        detail = f" ({scrub_paths(str(error))})" if error is not None else ""
        raise MediaError(CORRUPT_MEDIA, f"The video stream cannot be decoded{detail}.") from error
    return first


def _video_info(stream: AvVideoStream, rotation: int) -> VideoStream:
    cc = stream.codec_context
    width, height = cc.width, cc.height
    sar = stream.sample_aspect_ratio
    display_w, display_h = width, height
    if sar is not None and sar > 0 and sar != 1:
        display_w = max(1, round(width * sar))
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w
    frames = stream.frames
    return VideoStream(
        codec=codec_name(stream),
        width=width,
        height=height,
        display_width=display_w,
        display_height=display_h,
        rotation=rotation,
        fps=frame_rate(stream),
        frame_count=frames if frames > 0 else None,
        pix_fmt=cc.pix_fmt,
        field_order=FIELD_ORDER.get(cc.field_order),
        color_space=COLOR_SPACE.get(cc.colorspace),
        bit_rate=positive(cc.bit_rate),
    )


def _audio_info(stream: AvAudioStream) -> AudioStream:
    cc = stream.codec_context
    return AudioStream(
        codec=codec_name(stream),
        channels=cc.channels,
        sample_rate=cc.sample_rate,
        bit_rate=positive(cc.bit_rate),
    )


def _duration(container: InputContainer, stream: AvVideoStream, video: VideoStream) -> float:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if video.frame_count and video.fps > 0:
        return video.frame_count / video.fps
    return 0.0


def info_to_json(info: MediaInfo) -> dict[str, Any]:
    """A JSON-serialisable form of ``info`` (what the probe sandbox sends back)."""
    return asdict(info)


def info_from_json(data: dict[str, Any]) -> MediaInfo:
    fields = dict(data)
    video = fields.pop("video")
    audio = fields.pop("audio")
    return MediaInfo(
        **fields,
        video=VideoStream(**video) if video is not None else None,
        audio=AudioStream(**audio) if audio is not None else None,
    )
