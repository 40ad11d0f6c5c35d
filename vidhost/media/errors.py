"""The single exception type raised by the media package."""

from __future__ import annotations

import re
from typing import Final

from vidhost.core.errors import CodedError

EMPTY_FILE: Final = "empty_file"
NOT_A_VIDEO: Final = "not_a_video"
CORRUPT_MEDIA: Final = "corrupt_media"
FFMPEG_FAILED: Final = "ffmpeg_failed"
FFMPEG_TIMEOUT: Final = "ffmpeg_timeout"
FFMPEG_KILLED: Final = "ffmpeg_killed"
PROBE_FAILED: Final = "probe_failed"
PROBE_TIMEOUT: Final = "probe_timeout"
RESOLUTION_TOO_LARGE: Final = "resolution_too_large"
DURATION_TOO_LONG: Final = "duration_too_long"
FRAME_RATE_TOO_HIGH: Final = "frame_rate_too_high"
TOO_MANY_STREAMS: Final = "too_many_streams"
SOURCE_CHANGED: Final = "source_changed"


INPUT_ERRORS: Final = frozenset(
    {
        EMPTY_FILE,
        NOT_A_VIDEO,
        CORRUPT_MEDIA,
        RESOLUTION_TOO_LARGE,
        DURATION_TOO_LONG,
        FRAME_RATE_TOO_HIGH,
        TOO_MANY_STREAMS,
        SOURCE_CHANGED,
    }
)
"""Codes that condemn the source itself (its bytes are deleted when a task meets one)."""

INTERRUPTIONS: Final = frozenset({FFMPEG_KILLED})
"""Codes that say nothing about the media (ffmpeg killed by a signal it did not get from us:
the out-of-memory killer, an operator): the task runs again (ADR 0073)."""


class MediaError(CodedError):
    """A media problem with a stable machine ``code`` and a human ``message``.

    Codes: ``empty_file``, ``not_a_video``, ``corrupt_media``, ``ffmpeg_failed``,
    ``ffmpeg_timeout``, ``ffmpeg_killed``; the probe sandbox adds ``probe_failed``/
    ``probe_timeout``, the input limits ``resolution_too_large``/``duration_too_long``/
    ``frame_rate_too_high``/``too_many_streams``, and tasks ``source_changed`` (statuses in
    :mod:`vidhost.core.error_codes`). Messages never hold server paths. Pickles cleanly
    (``args == (code, message)``), so it survives being passed through task queues.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.args = (code, message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


_PATH = re.compile(r"(?<![\w.])/(?:[\w.@%+=~-]+/)+[\w.@%+=~-]*")


def scrub_paths(text: str) -> str:
    """``text`` with absolute file paths cut to their last part (for messages users see):
    ``/srv/vidhost-data/tmp/render-x/thumb.jpg`` -> ``thumb.jpg``."""
    return _PATH.sub(lambda m: m.group(0).rsplit("/", 1)[-1] or "<path>", text)
