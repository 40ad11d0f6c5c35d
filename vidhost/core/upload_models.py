"""The upload record: how much of which declared length is durably stored, and for whom
(the ``core.resumable.ResumableUploads`` port answers with it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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
