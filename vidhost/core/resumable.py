"""Resumable uploads: the upload record (how much of which declared length is durably
stored, and for whom), and the port the surfaces that take them use.

``vidhost.ingest.tus.service.UploadService`` implements ``ResumableUploads``; vidhost's tus
endpoint, the Cloudflare tus URLs (through ``vidhost.http.tus``) and Mux's direct uploads
use it, so none of them imports the tus engine (ADR 0079).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from vidhost.core.upload_checksum import Checksum


class Concat(StrEnum):
    PARTIAL = "partial"
    FINAL = "final"


@dataclass
class Upload:
    id: str
    owner: str
    created_at: datetime
    expires_at: datetime
    length: int | None = None
    """Declared total size; ``None`` while deferred (creation-defer-length)."""
    offset: int = 0
    """Bytes durably stored (fsync'd) and committed; never ahead of the data on disk."""
    video_id: str | None = None
    concat: Concat | None = None
    parts: list[str] = field(default_factory=list)
    """Partial upload ids a final upload was assembled from, in order."""
    metadata: dict[str, Any] = field(default_factory=dict)
    finished_at: datetime | None = None
    """When the complete upload was handed over to its video."""
    store: dict[str, Any] | None = None
    """The upload-data store's own record (S3: multipart id, parts, tail), committed in the
    same statement as ``offset``; ``None`` for the file store."""

    @property
    def complete(self) -> bool:
        return self.length is not None and self.offset >= self.length

    def expired(self, now: datetime) -> bool:
        return self.finished_at is None and now >= self.expires_at


class ResumableUploads(Protocol):
    """What a surface does with resumable uploads; every refusal is a coded error
    (``vidhost.core.upload_errors``)."""

    @property
    def max_size(self) -> int:
        """The largest upload this server takes (``Tus-Max-Size``)."""
        ...

    def extensions(self) -> list[str]:
        """The tus extensions the upload-data store supports."""
        ...

    def create(
        self,
        *,
        owner: str,
        length: int | None,
        metadata: dict[str, str],
        concat: Concat | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Upload:
        """A new upload; unless it is a partial one, with its pending video."""
        ...

    def get(self, upload_id: str, owner: str, *, allow_expired: bool = False) -> Upload: ...

    def owner_of(self, upload_id: str) -> str | None:
        """Who owns an upload, for a surface whose credential is a signed URL naming it."""
        ...

    async def write(
        self,
        upload_id: str,
        owner: str,
        *,
        offset: int,
        body: AsyncIterator[bytes],
        checksum: Checksum | None = None,
        length: int | None = None,
        content_length: int | None = None,
    ) -> Upload:
        """Append ``body`` at ``offset``; the upload as committed (durable)."""
        ...

    def terminate(self, upload_id: str, owner: str) -> None:
        """The upload, its bytes and its pending video go."""
        ...
