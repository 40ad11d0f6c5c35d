"""A Mux direct upload's status, derived from its record and its video (one rule, one place).

``waiting`` until the bytes are accepted (``asset_created``, with ``asset_id`` = the video id);
``errored`` when the source was refused at acceptance (not a video, over a limit: the video
failed before it was ever accepted); ``cancelled`` (``PUT .../cancel``, or the pending video
was removed); ``timed_out`` once ``timeout`` seconds have passed without the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, present, utcnow

WAITING = "waiting"
ASSET_CREATED = "asset_created"
ERRORED = "errored"
CANCELLED = "cancelled"
TIMED_OUT = "timed_out"
DEFAULT_TIMEOUT = 3600
MIN_TIMEOUT = 60
MAX_TIMEOUT = 7 * 24 * 3600

S = VideoState
_ACCEPTED = frozenset({S.UPLOADED, S.PROCESSING, S.READY})


@dataclass
class MuxUpload:
    id: str
    owner: str
    upload_id: str
    """The resumable upload (``vidhost.ingest.tus``) that holds the bytes until complete."""
    video_id: str
    status: str
    """Stored: ``waiting``, ``cancelled`` or ``timed_out``; the rest follows from the video."""
    timeout: int
    new_asset_settings: dict[str, Any] = field(default_factory=dict)
    cors_origin: str | None = None
    test: bool = False
    created_at: datetime = field(default_factory=utcnow)

    def deadline(self) -> datetime:
        return self.created_at + timedelta(seconds=self.timeout)


@dataclass(frozen=True)
class UploadStatus:
    status: str
    asset_id: str | None = None
    error: dict[str, str] | None = None


def status_of(upload: MuxUpload, video: Video | None, now: datetime | None = None) -> UploadStatus:
    now = now or utcnow()
    accepted = video is not None and (
        video.state in _ACCEPTED or video.source_probe is not None or video.ready_at is not None
    )
    if accepted:
        assert video is not None
        return UploadStatus(ASSET_CREATED, asset_id=video.id)
    if upload.status in (CANCELLED, TIMED_OUT):
        return UploadStatus(upload.status)
    if video is not None and video.state is S.FAILED:
        message = video.error_message or "the file was refused"
        return UploadStatus(
            ERRORED, error={"type": video.error_code or "invalid_input", "message": message}
        )
    if now >= upload.deadline():
        return UploadStatus(TIMED_OUT)
    if not present(video):
        return UploadStatus(CANCELLED)
    return UploadStatus(WAITING)
