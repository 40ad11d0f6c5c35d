"""``PUT /mux/upload/{id}``: the ``url`` of a Mux direct upload (what Mux's storage answers).

- A whole file: ``PUT`` with ``Content-Length`` -> 200 once accepted.
- UpChunk's chunks: ``Content-Range: bytes a-b/total`` (``*`` while the total is unknown)
  -> ``308`` with ``Range: bytes=0-(n-1)`` until the last byte, then ``200``.
- Status: an empty ``PUT`` with ``Content-Range: bytes */total`` -> ``308`` + ``Range``.

The bytes go to the resumable-upload engine (``vidhost.ingest.tus``: locked, durable offset, file
or S3 store), which hands the complete file to ``VideoService.accept_source``. A request cut
off keeps none of its bytes, so the client resends that chunk (UpChunk retries it); a chunk
already stored (its answer was lost) is acknowledged without reading it again.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import InvalidInput, TooLarge
from vidhost.core.sizes import format_size
from vidhost.core.upload_errors import OffsetMismatch, UploadLocked
from vidhost.core.upload_models import Upload
from vidhost.http.deps import ContainerDep
from vidhost.http.errors import ApiError
from vidhost.http.upload_url import Signed, declared_length, interrupted, signed_put_route
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.upload_links import PATH, upload_key

router = APIRouter(route_class=MuxRoute, tags=["mux"])

_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def parse_content_range(value: str) -> tuple[int | None, int | None, int | None]:
    """``(first, last, total)``; ``first`` None for a status query (``bytes */total``)."""
    match = _RANGE.match(value.strip())
    if match is None:
        raise InvalidInput("Content-Range must be 'bytes a-b/total'", code="invalid_header")
    first, last, total = match.groups()
    size = None if total == "*" else int(total)
    if first is None:
        return None, None, size
    a, b = int(first), int(last)
    if b < a or (size is not None and b >= size):
        raise InvalidInput("Content-Range is out of order or past the total", code="invalid_header")
    return a, b, size


def _progress(upload: Upload) -> Response:
    """308 with what is stored, or 200 when it is all there."""
    if upload.length is not None and upload.offset >= upload.length:
        return JSONResponse({"status": "complete", "size": upload.offset}, status_code=200)
    headers = {"Range": f"bytes=0-{upload.offset - 1}"} if upload.offset > 0 else {}
    return Response(status_code=308, headers=headers)


@signed_put_route(
    router,
    PATH + "{upload_id}",
    responses={
        200: {
            "description": "The whole file is stored (and handed to processing)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        308: {"description": "Chunk stored; `Range: bytes=0-n` says how much is"},
        **MUX_ERRORS,
    },
    empty_body=True,  # a status query (``bytes */total``) sends none
)
async def put_data(
    upload_id: str, request: Request, container: ContainerDep, signed: Signed
) -> Response:
    cap = signed.cap(container, upload_key(upload_id))
    mux = container.mux
    record, upload = await run_in_threadpool(mux.writable, upload_id)
    content_length = declared_length(request)
    content_range = request.headers.get("content-range")
    if content_range is None:  # one PUT of the whole file
        if content_length is None:
            raise InvalidInput("a whole-file PUT needs Content-Length", code="invalid_header")
        first: int = 0
        total: int | None = content_length
    else:
        first_or_none, last, total = parse_content_range(content_range)
        if first_or_none is None or last is None:
            return _progress(upload)
        first = first_or_none
        if content_length is not None and content_length != last - first + 1:
            raise InvalidInput("Content-Length does not match Content-Range", code="invalid_header")
        content_length = last - first + 1
        if last < upload.offset:  # stored already: its answer was lost
            return _progress(upload)
    if total is not None and total > cap:
        raise TooLarge(f"the upload exceeds {format_size(cap)}", code="upload_too_large")
    if upload.finished_at is not None:
        return _progress(upload)
    if first != upload.offset:
        raise OffsetMismatch(f"the next byte expected is {upload.offset}, not {first}")
    try:
        with interrupted():
            upload = await mux.write(
                record,
                offset=first,
                body=request.stream(),
                total=total,
                content_length=content_length,
            )
    except UploadLocked:  # the cut-off request is still being discarded: a temporary error
        raise ApiError(
            503, "upload_busy", "another request is writing this upload", {"Retry-After": "1"}
        ) from None
    return _progress(upload)
