"""``PUT /storage/upload/{key}``: the pre-signed upload URL of local storage.

vidhost plays the object store here: it checks the HMAC signature and expiry, streams the
body to a temp file with constant memory, enforces the size cap the URL was signed with,
and hands the file to the one way in (``VideoService.accept_source``): size cap, probe,
storage, processing (no client call needed).

A URL stores one upload (ADR 0051): the PUT claims the video (``created -> uploading``)
before reading the body, so a second PUT, concurrent or later, gets 409
(``upload_in_progress`` / ``upload_complete``) and the stored source is never replaced. A
PUT that stores nothing (interrupted, failed) hands the claim back for a retry.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vidhost.http.deps import ContainerDep
from vidhost.http.errors import ApiError
from vidhost.http.upload_url import Signed, declared_length, interrupted, signed_put_route

router = APIRouter(prefix="/storage", tags=["direct uploads"])

_SOURCE = re.compile(r"^videos/([A-Za-z0-9-]{1,64})/source$")


@signed_put_route(
    router,
    "/upload/{key:path}",
    responses={
        200: {"description": "Stored; processing has started"},
        403: {"description": "Bad signature, expired URL, or URL signed for another key"},
        409: {
            "description": "This URL's upload is in progress (upload_in_progress) or "
            "complete (upload_complete)"
        },
        413: {"description": "Larger than the size the URL was issued for"},
    },
)
async def signed_put(
    key: str, request: Request, container: ContainerDep, signed: Signed
) -> JSONResponse:
    direct = container.direct
    if direct is None or container.storage_capabilities.presigned_uploads is not None:
        raise ApiError(404, "not_found", "signed uploads are served by the storage backend")
    cap = signed.cap(container, key)
    match = _SOURCE.match(key)
    if match is None:
        raise ApiError(403, "invalid_signature", "this URL does not name an upload")
    video = await run_in_threadpool(direct.begin_upload, match.group(1))
    cap = min(cap, direct.size_cap(video))
    declared = declared_length(request)
    accepted = False
    path: Path | None = None
    try:
        if declared is not None:
            await run_in_threadpool(lambda: direct.refuse_oversized(video, declared, max_bytes=cap))
        tmp_dir = container.settings.tmp_dir
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        path = Path(name)
        size = 0
        with interrupted(), os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                out.write(chunk)
                if size > cap:
                    break  # read no more: over the cap, the one way in refuses it
        video = await run_in_threadpool(lambda: direct.finish(video.id, file=path))
        accepted = True
    finally:
        if path is not None:  # consumed once handed over; else nothing of it is kept
            path.unlink(missing_ok=True)
        if not accepted:  # hand the claim back for a retry; a no-op once refused (failed)
            await run_in_threadpool(direct.release_upload, video)
    return JSONResponse(
        {"videoId": video.id, "size": video.size_bytes, "state": video.state.value},
        headers={"ETag": f'"{video.source_etag}"'},
    )
