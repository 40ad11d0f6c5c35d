"""Signed, expiring links to a video's original upload, byte for byte (ADR 0093): pure rules
over the storage ports.

The original is the stored source (``videos/{id}/source``), kept as it was uploaded for the
video's whole life. A link is the storage's own pre-signed GET when it has one (S3), else a
GET URL vidhost signs and serves itself (``LocalSignedDownloads``): no copy is made. The
download name is the uploaded filename (or ``{id}-original``), signed into the link.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from vidhost.core.disposition import attachment
from vidhost.core.errors import Conflict
from vidhost.core.layout import source_key
from vidhost.core.models import Video
from vidhost.core.ports import PresignedDownloads, Storage


@dataclass(frozen=True)
class OriginalLink:
    url: str
    expires_at: datetime
    size: int
    filename: str


def not_kept(message: str) -> Conflict:
    return Conflict(message, code="original_not_kept")


def filename_of(video: Video) -> str:
    return video.filename or f"{video.id}-original"


class OriginalLinks:
    """Whether a video's original can be downloaded, and links to it."""

    def __init__(
        self, storage: Storage, downloads: PresignedDownloads, *, enabled: bool, ttl: int
    ) -> None:
        self.storage = storage
        self.downloads = downloads
        self.enabled = enabled
        self.ttl = ttl
        """Seconds a link is valid (``VIDHOST_ORIGINAL_LINK_TTL``; Mux: 24 h)."""

    def check_offered(self) -> None:
        """409 ``original_not_kept`` when this server offers no original downloads."""
        if not self.enabled:
            raise not_kept(
                "this server does not offer original downloads (VIDHOST_ORIGINAL_DOWNLOADS=false)"
            )

    def link(
        self, video: Video, *, until: datetime, base_url: str, now: float | None = None
    ) -> OriginalLink:
        """A link valid until ``until`` (at least one second); 409 ``original_not_kept`` when
        downloads are off or the source is not stored (a refused upload, or none yet)."""
        self.check_offered()
        key = video.source_key or source_key(video.id)
        try:
            info = self.storage.stat(key)
        except FileNotFoundError:
            raise not_kept("this video's original is not stored") from None
        now = time.time() if now is None else now
        expires_in = max(1, math.ceil(until.timestamp() - now))
        name = filename_of(video)
        url = self.downloads.presign_get(
            key, expires_in=expires_in, content_disposition=attachment(name)
        )
        if url.startswith("/"):  # signed by vidhost: a path on this server
            url = base_url.rstrip("/") + url
        expires = datetime.fromtimestamp(int(now) + expires_in, UTC)
        return OriginalLink(url=url, expires_at=expires, size=info.size, filename=name)
