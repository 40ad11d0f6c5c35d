"""The port of resumable uploads: what the surfaces that take them use.

``vidhost.ingest.tus.service.UploadService`` implements ``ResumableUploads``; vidhost's tus
endpoint, the Cloudflare tus URLs (through ``vidhost.http.tus``) and Mux's direct uploads
use it, so none of them imports the tus engine (ADR 0079). The record is
``vidhost.core.upload_models.Upload``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from vidhost.core.upload_checksum import Checksum
from vidhost.core.upload_models import Concat, Upload


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
