"""Pure tus protocol rules: lengths, offsets, concatenation. No I/O; each raises its error."""

from __future__ import annotations

from datetime import datetime

from vidhost.core.errors import Forbidden, InvalidInput
from vidhost.core.sizes import format_size
from vidhost.core.upload_errors import (
    ExceedsLength,
    NotWritable,
    OffsetMismatch,
    UploadGone,
    UploadNotFound,
)
from vidhost.core.upload_models import Concat, Upload


def check_length(length: int | None, max_size: int) -> None:
    if length is None:
        return
    if length < 0:
        raise InvalidInput("Upload-Length must be >= 0", code="invalid_header")
    if length > max_size:
        raise ExceedsLength(
            f"Upload-Length {length} exceeds the maximum of {format_size(max_size)}"
        )


def check_access(
    upload: Upload | None, owner: str, now: datetime, *, allow_expired: bool = False
) -> Upload:
    if upload is None:
        raise UploadNotFound("upload not found")
    if upload.owner != owner:
        raise Forbidden("access denied", code="access_denied")
    if not allow_expired and upload.expired(now):
        raise UploadGone("the upload has expired")
    return upload


def declared_length(upload: Upload, length: int | None, max_size: int) -> int | None:
    """The upload's length once a request's ``Upload-Length`` is taken into account."""
    if length is None:
        return upload.length
    if upload.length is not None and length != upload.length:
        raise InvalidInput(
            f"Upload-Length {length} differs from the upload's length {upload.length}",
            code="upload_length_mismatch",
        )
    if length < upload.offset:
        raise InvalidInput("Upload-Length is below the current offset", code="invalid_header")
    check_length(length, max_size)
    return length


def check_patch(
    upload: Upload,
    now: datetime,
    offset: int,
    length: int | None,
    content_length: int | None,
    max_size: int,
) -> int | None:
    """A PATCH at ``offset`` may go ahead; returns the upload's (now) declared length."""
    if upload.expired(now):
        raise UploadGone("the upload has expired")
    if upload.concat is Concat.FINAL:
        raise NotWritable("a final concatenated upload cannot be patched")
    if offset != upload.offset:
        raise OffsetMismatch(
            f"Upload-Offset {offset} does not match the upload's offset {upload.offset}"
        )
    declared = declared_length(upload, length, max_size)
    limit = declared if declared is not None else max_size
    if content_length is not None and offset + content_length > limit:
        raise ExceedsLength(f"the request would pass the upload length of {format_size(limit)}")
    return declared


def check_parts(part_ids: list[str], parts: list[Upload], max_size: int) -> int:
    """The partial uploads a final upload names can be joined; their total length."""
    if not part_ids:
        raise InvalidInput("Upload-Concat final names no partial uploads", code="invalid_concat")
    for part in parts:
        if part.concat is not Concat.PARTIAL:
            raise InvalidInput(f"upload {part.id} is not partial", code="invalid_concat")
        if not part.complete:
            raise InvalidInput(f"partial upload {part.id} is incomplete", code="partial_incomplete")
    total = sum(p.length or 0 for p in parts)
    check_length(total, max_size)
    return total


def room(upload: Upload, offset: int, max_size: int) -> int:
    """How many bytes a request at ``offset`` may still carry."""
    return (upload.length if upload.length is not None else max_size) - offset
