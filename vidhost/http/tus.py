"""tus 1.0.0 over HTTP: headers, the version check, and the handlers of an upload's URL.

vidhost's tus endpoint (``vidhost.ingest.tus.routes``, the bearer token's user) and the
Cloudflare tus URLs (``vidhost.providers.cloudflare.uploads``, a signed URL's owner) answer
HEAD, PATCH, DELETE and OPTIONS with these same handlers, over the
``core.resumable.ResumableUploads`` port; every decision is the upload service's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import format_datetime

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from vidhost.core.resumable import ResumableUploads
from vidhost.core.upload_checksum import ALGORITHMS, parse_checksum
from vidhost.core.upload_errors import bad_header
from vidhost.core.upload_models import Concat, Upload
from vidhost.http.errors import ApiError
from vidhost.http.tus_metadata import encode_metadata
from vidhost.http.tus_middleware import TUS_VERSION
from vidhost.http.views import base_url

PATH = "/api/v1/videos/tus"
"""vidhost's tus endpoint: where an upload's own URL is (``Location``, concatenation)."""
OFFSET_STREAM = "application/offset+octet-stream"


async def require_tus_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise ApiError(
            412,
            "unsupported_tus_version",
            f"Tus-Resumable must be {TUS_VERSION}",
            headers={"Tus-Version": TUS_VERSION},
        )


Versioned = [Depends(require_tus_version)]


# --- headers ----------------------------------------------------------------------------------


def int_header(request: Request, name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise bad_header(f"{name} must be a non-negative integer")
    return int(value)


def upload_url(request: Request, upload_id: str) -> str:
    return f"{base_url(request)}{PATH}/{upload_id}"


def upload_headers(request: Request, upload: Upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset), "Cache-Control": "no-store"}
    if upload.length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(upload.length)
    if upload.finished_at is None:
        headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    if upload.concat is Concat.PARTIAL:
        headers["Upload-Concat"] = "partial"
    elif upload.concat is Concat.FINAL:
        urls = " ".join(upload_url(request, p) for p in upload.parts)
        headers["Upload-Concat"] = f"final;{urls}"
    meta = {k: str(v) for k, v in upload.metadata.items() if v is not None}
    if meta:
        headers["Upload-Metadata"] = encode_metadata(meta)
    if upload.video_id is not None:
        headers["Vidhost-Video-Id"] = upload.video_id
    return headers


async def body_of(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a client that goes away just ends it."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        return


def has_body(request: Request) -> bool:
    if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_STREAM:
        return False
    length = request.headers.get("content-length")
    return length is None or length.strip() != "0"


async def write_body(
    request: Request, uploads: ResumableUploads, user: str, upload_id: str, offset: int
) -> Upload:
    return await uploads.write(
        upload_id,
        user,
        offset=offset,
        body=body_of(request),
        checksum=parse_checksum(request.headers.get("upload-checksum")),
        length=int_header(request, "upload-length"),
        content_length=int_header(request, "content-length"),
    )


# --- the handlers of an upload's URL ----------------------------------------------------------


async def options(uploads: ResumableUploads) -> Response:
    """Server capabilities (tus core). Open to all: no upload data is revealed."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Max-Size": str(uploads.max_size),
            # Only what the upload-data store can do (resolved once, at start-up).
            "Tus-Extension": ",".join(uploads.extensions()),
            "Tus-Checksum-Algorithm": ",".join(ALGORITHMS),
        },
    )


async def head(upload_id: str, request: Request, user: str, uploads: ResumableUploads) -> Response:
    """Offset (never ahead of durably stored bytes), length, expiry."""
    upload = await run_in_threadpool(uploads.get, upload_id, user)
    return Response(status_code=200, headers=upload_headers(request, upload))


async def patch(upload_id: str, request: Request, user: str, uploads: ResumableUploads) -> Response:
    """Append the body at Upload-Offset; 204 with the new offset once it is durable."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_STREAM:
        raise ApiError(415, "unsupported_media_type", f"Content-Type must be {OFFSET_STREAM}")
    offset = int_header(request, "upload-offset")
    if offset is None:
        raise bad_header("Upload-Offset is required")
    upload = await write_body(request, uploads, user, upload_id, offset)
    headers = upload_headers(request, upload)
    headers.pop("Cache-Control")
    return Response(status_code=204, headers=headers)


async def terminate(upload_id: str, user: str, uploads: ResumableUploads) -> Response:
    """termination: the upload, its bytes and its pending video are removed."""
    await run_in_threadpool(uploads.terminate, upload_id, user)
    return Response(status_code=204)
