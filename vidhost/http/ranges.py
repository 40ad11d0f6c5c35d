"""Serving stored objects over HTTP: Range (206/416), ETag, Last-Modified, 304."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import format_datetime

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from vidhost.core.ports import ObjectInfo, Storage
from vidhost.http.errors import ApiError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range -> inclusive (start, end); None to serve the whole object.

    Raises ``ApiError(416)`` for a syntactically valid but unsatisfiable range. Multiple
    ranges are not supported and are answered with the whole object (allowed by RFC 9110).
    """
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    if start >= size:
        raise _unsatisfiable(size)
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        416,
        "range_not_satisfiable",
        "requested range not satisfiable",
        headers={"Content-Range": f"bytes */{size}"},
    )


def object_response(
    request: Request,
    storage: Storage,
    info: ObjectInfo,
    *,
    media_type: str,
    cache_control: str,
    vary: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Response:
    """The object, streamed from storage in blocks (bounded memory whatever its size);
    ``extra_headers`` go on every answer (``Content-Disposition`` of a download)."""
    etag = f'"{info.etag}"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(info.modified, usegmt=True),
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        **(extra_headers or {}),
    }
    if vary:
        headers["Vary"] = vary
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    byte_range = None
    range_header = request.headers.get("range")
    if range_header and _if_range_ok(request.headers.get("if-range"), etag, headers):
        byte_range = parse_range(range_header, info.size)
    if request.method == "HEAD":
        start, end = byte_range or (0, info.size - 1)
        headers["Content-Length"] = str(max(0, end - start + 1))
        status = 200
        if byte_range:
            headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
            status = 206
        return Response(status_code=status, headers=headers, media_type=media_type)
    if byte_range is None:
        headers["Content-Length"] = str(info.size)
        body = storage.iter_range(info.key)
        status = 200
    else:
        start, end = byte_range
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        headers["Content-Length"] = str(end - start + 1)
        body = storage.iter_range(info.key, start, end)
        status = 206
    return StreamingResponse(
        iterate_in_threadpool(body), status_code=status, headers=headers, media_type=media_type
    )


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _if_range_ok(if_range: str | None, etag: str, headers: dict[str, str]) -> bool:
    if not if_range:
        return True
    return if_range.strip() in (etag, headers["Last-Modified"])
