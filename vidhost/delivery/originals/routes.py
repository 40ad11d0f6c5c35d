"""``GET /api/videos/{id}/original`` (the owner's signed link to the original upload) and
``GET /storage/download/{key}`` (what such a link is with local storage; ADR 0093)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.adapters.storage.signed_urls import DOWNLOAD_PATH
from vidhost.core.errors import NotFound
from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.http.ranges import object_response
from vidhost.http.views import base_url

router = APIRouter(tags=["videos"])


class OriginalOut(BaseModel):
    url: str = Field(description="A signed GET of the original bytes, as uploaded")
    expiresAt: datetime
    bytes: int
    filename: str


@router.get(
    "/api/videos/{video_id}/original",
    response_model=OriginalOut,
    responses={
        401: {"description": "Missing or invalid bearer token"},
        403: {"description": "The video belongs to another user (access_denied)"},
        404: {"description": "Unknown video (video_not_found)"},
        409: {"description": "Original downloads are off, or the source is not stored"},
    },
)
async def original(
    video_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> OriginalOut:
    """A link to the original upload (sha256-identical bytes), valid
    ``VIDHOST_ORIGINAL_LINK_TTL`` seconds (24 h by default); owner only."""
    links, base = container.originals, base_url(request)

    def run() -> OriginalOut:
        video = container.videos.get(video_id, owner=user)
        until = datetime.now(UTC) + timedelta(seconds=links.ttl)
        link = links.link(video, until=until, base_url=base)
        return OriginalOut(
            url=link.url, expiresAt=link.expires_at, bytes=link.size, filename=link.filename
        )

    return await run_in_threadpool(run)


_SIGNED_GET: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"type": "string"}}}},
    206: {"description": "The requested byte range"},
    403: {"description": "Bad signature (invalid_signature) or expired (url_expired)"},
    404: {"description": "The object is gone"},
}


@router.api_route(DOWNLOAD_PATH + "{key:path}", methods=["GET", "HEAD"], responses=_SIGNED_GET)
async def signed_download(
    key: str,
    request: Request,
    container: ContainerDep,
    expires: str = Query(""),
    name: str = Query("", max_length=400),
    sig: str = Query(""),
) -> Response:
    """A signed GET of a stored object (local storage's pre-signed GET): Range, ETag."""
    container.url_signer.verify_get(key, expires, name, sig, now=time.time())
    try:
        info = await run_in_threadpool(container.storage.stat, key)
    except FileNotFoundError:
        raise NotFound("the object is gone", code="not_found") from None
    response = object_response(
        request,
        container.storage,
        info,
        media_type="application/octet-stream",
        cache_control="private, no-store",
    )
    if name:  # the signed Content-Disposition (``presign_get``)
        response.headers["Content-Disposition"] = name
    return response
