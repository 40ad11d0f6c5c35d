"""Which demuxers and protocols an upload may use, and how every open of one is pinned.

An upload is untrusted. ffmpeg and PyAV, left to their defaults, probe a file's content and
may pick any demuxer the build has, several of which read other files or URLs named inside
the input: HLS and DASH playlists, ``concat`` scripts, ``image2`` patterns, and ``subfile:``
or ``data:`` URLs (ADR 0051). So every open of an upload here

- allows only the ``file`` protocol (``protocol_whitelist``; ``pipe`` for our own outputs),
  which nested opens inherit: no network, no ``subfile:``/``data:``/``concat:`` URLs;
- allows only the container demuxers in :data:`DEMUXERS` (``format_whitelist``, also
  inherited by nested demuxers such as the AVI GAB2 subtitle reader): the video containers,
  and the audio files an audio-only video comes from (ADR 0066);
- once the probe has decided the container, forces that demuxer (``-f``/``format=``), so a
  file swapped or crafted later cannot be read by another reader.

None of the allowed demuxers opens other files (MOV/MP4 external data references stay off:
ffmpeg's ``enable_drefs`` defaults to 0).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from vidhost.media.errors import NOT_A_VIDEO, MediaError

if TYPE_CHECKING:
    from av.container import InputContainer

VIDEO_DEMUXERS: Final = (
    "mov",  # .mov .mp4 .m4v .3gp .3g2 .mj2
    "matroska",  # .mkv .webm
    "avi",
    "mpegts",  # .ts .mts .m2ts
    "flv",
    "mpeg",  # MPEG program streams: .mpg .vob
    "ogg",  # .ogv
    "asf",  # .wmv .asf
    "mxf",
)
"""Container demuxers an upload may be read with (the first name of ffmpeg's list)."""

AUDIO_DEMUXERS: Final = (
    "mp3",
    "wav",
    "flac",
    "aac",  # raw ADTS .aac; .m4a is ``mov``, Opus is ``ogg`` (or ``matroska``: .webm)
)
"""Audio-only files (ADR 0066): single-stream readers that open no other file."""

DEMUXERS: Final = VIDEO_DEMUXERS + AUDIO_DEMUXERS
FORMAT_WHITELIST: Final = ",".join(DEMUXERS)
PROTOCOL_WHITELIST: Final = "file"


CONTAINER_NAMES: Final = {
    "mov": "MPEG-4 (MP4)",
    "matroska": "Matroska / WebM",
    "avi": "AVI",
    "mpegts": "MPEG transport stream (TS)",
    "flv": "Flash Video (FLV)",
    "mpeg": "MPEG program stream (MPG)",
    "ogg": "Ogg",
    "asf": "Windows Media (ASF / WMV)",
    "mxf": "MXF",
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "aac": "AAC (ADTS)",
}
"""What people call each allowed container (the analysis's ``container``)."""

MOV_BRANDS: Final = {"qt": "QuickTime (MOV)", "M4A": "MPEG-4 audio (M4A)", "3gp": "3GPP"}
"""The ``mov`` demuxer reads them all: the file's ``major_brand`` tells them apart."""


def container_name(format_name: str | None, tags: dict[str, str] | None = None) -> str | None:
    """A friendly name for a probed ``format_name`` (``"mov,mp4,m4a,3gp,3g2,mj2"`` with brand
    ``isom`` -> ``MPEG-4 (MP4)``, brand ``qt`` -> ``QuickTime (MOV)``); the first name of
    ffmpeg's list for a container not allowed here (never read: for completeness)."""
    if not format_name:
        return None
    names = format_name.split(",")
    name = next((n for n in names if n in CONTAINER_NAMES), None)
    if name is None:
        return names[0]
    brand = str((tags or {}).get("major_brand", "")).strip()
    if name == "mov":
        for prefix, friendly in MOV_BRANDS.items():
            if brand.startswith(prefix):
                return friendly
    return CONTAINER_NAMES[name]


def demuxer(format_name: str) -> str:
    """The allowed demuxer behind a probed ``format_name`` (``"mov,mp4,m4a,3gp,3g2,mj2"``)."""
    for name in format_name.split(","):
        if name in DEMUXERS:
            return name
    raise MediaError(
        NOT_A_VIDEO, f"The {format_name.split(',')[0]} container is not accepted for videos."
    )


def input_args(format_name: str | None) -> list[str]:
    """ffmpeg input options to put right before ``-i`` for any file derived from an upload.

    ``format_name``: the container the probe found (stored with the video); ``None`` only
    where it is unknown, which still limits the reader to :data:`DEMUXERS`.
    """
    args = ["-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST]
    if format_name:
        args += ["-f", demuxer(format_name)]
    return args


def av_options() -> dict[str, str]:
    return {"protocol_whitelist": PROTOCOL_WHITELIST, "format_whitelist": FORMAT_WHITELIST}


def open_input(path: str | os.PathLike[str], format_name: str | None = None) -> InputContainer:
    """PyAV ``av.open`` of an upload, pinned like :func:`input_args`.

    Raises :class:`MediaError` ``not_a_video`` when no allowed demuxer can read it. The
    message never names the path.
    """
    import av  # here, so that the command builders importing this module stay light
    import av.error

    fmt = demuxer(format_name) if format_name else None
    try:
        return av.open(os.fspath(path), mode="r", format=fmt, options=av_options())
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        accepted = ", ".join(DEMUXERS)
        raise MediaError(
            NOT_A_VIDEO, f"Not a video in an accepted container ({accepted}): {reason}."
        ) from exc
