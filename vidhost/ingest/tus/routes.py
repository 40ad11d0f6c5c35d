"""tus 1.0.0 at ``/api/v1/videos/tus``: core + creation, creation-with-upload,
creation-defer-length, termination, concatenation, checksum and expiration.

Headers are parsed here and in ``vidhost.http.tus`` (the handlers of an upload's URL, shared
with the Cloudflare tus URLs); every decision is made by ``vidhost.ingest.tus.service``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.upload_errors import bad_header
from vidhost.core.upload_models import Concat, Upload
from vidhost.http import tus
from vidhost.http.body_limit import StreamedBody
from vidhost.http.deps import CurrentUser, container_of
from vidhost.http.tus import (
    OFFSET_STREAM,
    PATH,
    Versioned,
    has_body,
    int_header,
    upload_headers,
    upload_url,
)
from vidhost.http.tus_metadata import parse_metadata
from vidhost.ingest.tus.service import UploadService


async def get_uploads(request: Request) -> UploadService:
    service: UploadService = container_of(request).uploads
    return service


UploadsDep = Annotated[UploadService, Depends(get_uploads)]

# Every tus answer is headers only (no body, no Content-Type).
router = APIRouter(prefix=PATH, tags=["tus"], default_response_class=Response)

TUS_ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Malformed tus header"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The upload belongs to another user"},
    404: {"description": "Unknown upload"},
    409: {"description": "Upload-Offset does not match"},
    410: {"description": "The upload expired"},
    412: {"description": "Unsupported Tus-Resumable"},
    413: {"description": "Upload-Length over Tus-Max-Size, or past the declared length"},
    415: {"description": "PATCH without Content-Type application/offset+octet-stream"},
    423: {"description": "Another request is writing this upload"},
    460: {"description": "Checksum mismatch; nothing of the request was kept"},
}


def _header(name: str, description: str, *, required: bool = False) -> dict[str, object]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": description,
    }


LENGTH = _header("Upload-Length", "Total size in bytes")
METADATA = _header("Upload-Metadata", "Comma-separated `key base64(value)` pairs")
CHECKSUM = _header("Upload-Checksum", "`<algorithm> <base64 digest>` of this request's body")
BODY = {"content": {OFFSET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}


def _doc(*headers: dict[str, object], body: bool | None = None) -> dict[str, object]:
    """``openapi_extra``: the tus headers a route reads (it reads them from the request)."""
    extra: dict[str, object] = {"parameters": list(headers)}
    if body is not None:
        extra["requestBody"] = {**BODY, "required": body}
    return extra


CREATE_DOC = _doc(
    LENGTH,
    _header("Upload-Defer-Length", "`1`: the length is sent later"),
    METADATA,
    _header("Upload-Concat", "`partial`, or `final;<upload URLs>`"),
    CHECKSUM,
    body=False,
)
ADOPT_DOC = _doc(LENGTH, METADATA, CHECKSUM, body=False)
PATCH_DOC = _doc(
    _header("Upload-Offset", "Where this body starts", required=True), LENGTH, CHECKSUM, body=True
)


# --- header helpers ---------------------------------------------------------------------------


def part_ids(header: str) -> list[str]:
    ids = []
    for url in header.removeprefix("final;").split():
        path = url.split("?")[0].rstrip("/")
        if f"{PATH}/" not in path:
            raise bad_header(f"Upload-Concat names {url!r}, not an upload URL", "invalid_concat")
        ids.append(path.rsplit("/", 1)[1])
    return ids


def created(request: Request, upload: Upload) -> Response:
    headers = upload_headers(request, upload)
    headers.pop("Cache-Control")
    headers["Location"] = upload_url(request, upload.id)
    return Response(status_code=201, headers=headers)


# --- routes -----------------------------------------------------------------------------------


@router.options("", status_code=204)
@router.options("/{upload_id}", status_code=204)
async def options(uploads: UploadsDep) -> Response:
    """Server capabilities (tus core). Open to all: no upload data is revealed."""
    return await tus.options(uploads)


@router.post(
    "",
    status_code=201,
    dependencies=[*Versioned, StreamedBody],
    responses=TUS_ERRORS,
    openapi_extra=CREATE_DOC,
)
async def create(request: Request, user: CurrentUser, uploads: UploadsDep) -> Response:
    """creation (+ with-upload, defer-length, concatenation): a new upload and its video."""
    meta = parse_metadata(request.headers.get("upload-metadata"))
    concat_header = (request.headers.get("upload-concat") or "").strip()
    if concat_header.startswith("final;"):
        ids = part_ids(concat_header)
        final = await run_in_threadpool(
            lambda: uploads.create_final(owner=user, part_ids=ids, metadata=meta)
        )
        return created(request, final)
    if concat_header not in ("", "partial"):
        raise bad_header("Upload-Concat must be 'partial' or 'final;<urls>'", "invalid_concat")
    length = int_header(request, "upload-length")
    defer = request.headers.get("upload-defer-length")
    if defer is not None and defer.strip() != "1":
        raise bad_header("Upload-Defer-Length must be 1")
    if (length is None) == (defer is None):
        raise bad_header("send exactly one of Upload-Length and Upload-Defer-Length: 1")
    concat = Concat.PARTIAL if concat_header == "partial" else None
    upload = await run_in_threadpool(
        lambda: uploads.create(owner=user, length=length, metadata=meta, concat=concat)
    )
    if has_body(request):
        upload = await tus.write_body(request, uploads, user, upload.id, 0)
    return created(request, upload)


@router.post(
    "/{upload_id}",
    status_code=201,
    dependencies=[*Versioned, StreamedBody],
    responses=TUS_ERRORS,
    openapi_extra=ADOPT_DOC,
)
async def create_on_session(
    upload_id: str, request: Request, user: CurrentUser, uploads: UploadsDep
) -> Response:
    """creation on an upload initialised by ``/upload/init``: its URL is the tus endpoint."""
    meta = parse_metadata(request.headers.get("upload-metadata"))
    length = int_header(request, "upload-length")
    upload = await run_in_threadpool(uploads.adopt, upload_id, user, length, meta)
    if has_body(request) and upload.offset == 0:
        upload = await tus.write_body(request, uploads, user, upload.id, 0)
    return created(request, upload)


@router.head("/{upload_id}", dependencies=Versioned, responses=TUS_ERRORS)
async def head(
    upload_id: str, request: Request, user: CurrentUser, uploads: UploadsDep
) -> Response:
    """Offset (never ahead of durably stored bytes), length, expiry."""
    return await tus.head(upload_id, request, user, uploads)


@router.patch(
    "/{upload_id}",
    status_code=204,
    dependencies=[*Versioned, StreamedBody],
    responses=TUS_ERRORS,
    openapi_extra=PATCH_DOC,
)
async def patch(
    upload_id: str, request: Request, user: CurrentUser, uploads: UploadsDep
) -> Response:
    """Append the body at Upload-Offset; 204 with the new offset once it is durable."""
    return await tus.patch(upload_id, request, user, uploads)


@router.delete("/{upload_id}", status_code=204, dependencies=Versioned, responses=TUS_ERRORS)
async def terminate(upload_id: str, user: CurrentUser, uploads: UploadsDep) -> Response:
    """termination: the upload, its bytes and its pending video are removed."""
    return await tus.terminate(upload_id, user, uploads)
