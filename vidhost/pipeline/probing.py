"""``Prober`` adapter: PyAV probing, media errors translated to domain errors."""

from __future__ import annotations

from pathlib import Path

from vidhost.domain.errors import InvalidInput
from vidhost.domain.ports import SourceInfo
from vidhost.media.errors import MediaError
from vidhost.media.probe import MediaInfo, probe


class MediaProber:
    def probe(self, path: Path) -> SourceInfo:
        try:
            info = probe(path)
        except MediaError as exc:
            raise InvalidInput(exc.message, code=exc.code) from exc
        return source_info(info)


def source_info(info: MediaInfo) -> SourceInfo:
    """The domain's view of a probe: display size (rotation applied), codecs, rates."""
    if info.video is None:
        raise InvalidInput("the file is not a video", code="not_a_video")
    v = info.video
    return SourceInfo(
        duration=info.duration,
        width=v.display_width,
        height=v.display_height,
        video_codec=v.codec,
        audio_codec=info.audio.codec if info.audio else None,
        fps=v.fps,
        bitrate=info.bit_rate,
        size_bytes=info.size_bytes,
    )
