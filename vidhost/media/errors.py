"""The single exception type raised by the media package."""

from __future__ import annotations

from typing import Final

from vidhost.domain.errors import CodedError

EMPTY_FILE: Final = "empty_file"
NOT_A_VIDEO: Final = "not_a_video"
CORRUPT_MEDIA: Final = "corrupt_media"
FFMPEG_FAILED: Final = "ffmpeg_failed"
FFMPEG_TIMEOUT: Final = "ffmpeg_timeout"


class MediaError(CodedError):
    """A media problem with a stable machine ``code`` and a human ``message``.

    Codes: ``empty_file``, ``not_a_video``, ``corrupt_media``, ``ffmpeg_failed``,
    ``ffmpeg_timeout`` (statuses in :mod:`vidhost.domain.error_codes`). Pickles cleanly
    (``args == (code, message)``), so it survives being passed through task queues.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.args = (code, message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
