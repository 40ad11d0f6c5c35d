"""Upload errors. Each has a stable code; ``vidhost.http.errors`` maps them to HTTP."""

from __future__ import annotations

from vidhost.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class UploadNotFound(NotFound):
    code = "upload_not_found"


class UploadGone(DomainError):
    """The upload expired (HTTP 410)."""

    code = "upload_expired"


class UploadLocked(DomainError):
    """Another request is writing this upload right now (HTTP 423)."""

    code = "upload_locked"


class OffsetMismatch(Conflict):
    code = "offset_mismatch"


class ChecksumMismatch(DomainError):
    """The body does not match ``Upload-Checksum`` (HTTP 460); none of it was kept."""

    code = "checksum_mismatch"


class ExceedsLength(DomainError):
    """More bytes than ``Upload-Length`` or the server maximum (HTTP 413)."""

    code = "upload_too_large"


class NotWritable(Forbidden):
    """A final concatenation upload takes no PATCH (tus: 403)."""

    code = "upload_not_writable"


def bad_header(message: str, code: str = "invalid_header") -> InvalidInput:
    return InvalidInput(message, code=code)
