"""``Prober`` adapter: PyAV probing in a bounded child process, errors -> domain errors.

Also what every task and render uses to open the accepted source: :func:`source_copy`
refuses a source whose stored object is no longer the one that was accepted (ADR 0051), and
:meth:`MediaProber.accepted` hands the task the probe made at acceptance (ADR 0090): the
object is the one that was probed, so it is not probed again. Any other file (the enhanced
one, a source accepted before probes were kept) is probed in the sandbox, with the limits,
pinned to the accepted container.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video
from vidhost.core.ports import SourceInfo, Storage
from vidhost.media.errors import SOURCE_CHANGED, MediaError
from vidhost.media.probe import MediaInfo, info_from_json, info_to_json
from vidhost.media.probe_limits import MediaLimits
from vidhost.media.sandbox import ProcessLimits, probe_isolated

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeConfig:
    limits: MediaLimits = field(default_factory=MediaLimits)
    """What an accepted source may be (resolution, duration, frame rate, streams)."""
    sandbox: ProcessLimits = field(default_factory=lambda: ProcessLimits(max_file_bytes=0))
    """Bounds of the child process that reads the file."""


class MediaProber:
    def __init__(self, config: ProbeConfig | None = None) -> None:
        self.config = config or ProbeConfig()

    def probe(self, path: Path) -> SourceInfo:
        try:
            info = self.media(path)
        except MediaError as exc:
            raise InvalidInput(exc.message, code=exc.code) from exc
        return source_info(info)

    def accepted(self, video: Video, path: str | os.PathLike[str], key: str) -> MediaInfo:
        """The probe of the file at ``path``, a copy of the video's object ``key`` made by
        :func:`source_copy` (which refused it if its ETag is not the accepted one).

        The accepted source's probe is the one kept at acceptance; any other file is probed.
        """
        if key == video.source_key and video.source_etag and video.source_probe:
            try:
                return info_from_json(video.source_probe)
            except (TypeError, KeyError):  # kept by another version of the probe
                log.info("the kept probe of %s is not readable; probing again", video.id)
        return self.media(path, format_name=video.source_format)

    def media(
        self,
        path: str | os.PathLike[str],
        *,
        format_name: str | None = None,
        decode_check: bool = True,
    ) -> MediaInfo:
        """The full probe (raises :class:`MediaError`), in the sandbox, with the limits."""
        return probe_isolated(
            path,
            media_limits=self.config.limits,
            limits=self.config.sandbox,
            decode_check=decode_check,
            format_name=format_name,
        )


def source_info(info: MediaInfo) -> SourceInfo:
    """The domain's view of a probe: display size (rotation applied), codecs, rates; an
    audio-only source has no size, video codec or frame rate (ADR 0066)."""
    v = info.video
    if v is None:
        if info.audio is None:
            raise InvalidInput("the file is not a video", code="not_a_video")
        return SourceInfo(
            duration=info.duration,
            width=None,
            height=None,
            video_codec=None,
            audio_codec=info.audio.codec,
            fps=None,
            bitrate=info.bit_rate,
            size_bytes=info.size_bytes,
            source_format=info.format_name,
            source_probe=info_to_json(info),
        )
    return SourceInfo(
        duration=info.duration,
        width=v.display_width,
        height=v.display_height,
        video_codec=v.codec,
        audio_codec=info.audio.codec if info.audio else None,
        fps=v.fps,
        bitrate=info.bit_rate,
        size_bytes=info.size_bytes,
        source_format=info.format_name,
        source_probe=info_to_json(info),
    )


@contextmanager
def source_copy(storage: Storage, video: Video, key: str | None = None) -> Iterator[Path]:
    """A local copy of the video's source (``key``: another file of it, e.g. the enhanced one).

    Raises :class:`MediaError` ``source_changed`` when the stored source is not the object
    accepted at upload (its ETag differs), ``no_source`` when there is none, and
    ``FileNotFoundError`` when it is gone. The ETag is read after the copy is made, so a
    copy taken before a swap is refused too.
    """
    key = key or video.source_key
    if key is None:
        raise MediaError("no_source", "the video has no uploaded source")
    with storage.local_copy(key) as path:
        checked = key == video.source_key and video.source_etag is not None
        if checked and storage.stat(key).etag != video.source_etag:
            raise MediaError(SOURCE_CHANGED, "the stored source is not the file that was accepted")
        yield path
