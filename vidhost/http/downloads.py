"""Serving a static rendition's file, for every surface (ADR 0065).

The surfaces turn their ids and tokens into ``(video, access)`` as they do for the stream;
this module then finds the ready file and answers through ``hls.serve_object`` (Range 206/416,
ETag, 304, the cache headers of the video's access), with ``Content-Disposition`` naming the
file. The body is streamed from storage block by block: memory stays bounded whatever the
file's size. In S3 redirect mode the answer is the pre-signed redirect, with the file name
and content type signed into it (S3's ``response-content-disposition``): S3 answers with the
same ``Content-Disposition`` and serves the Range requests itself."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access
from vidhost.core.models import Video
from vidhost.http import hls
from vidhost.http.reads import PLAYLIST_CACHE, PRIVATE_SEGMENT_CACHE

CONTENT_TYPES = {"mp4": "video/mp4", "m4a": "audio/mp4"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def disposition(filename: str, *, attachment: bool) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (``inline`` to play in place)."""
    plain = _UNSAFE.sub("_", filename).strip("._") or "download"
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def serve_download(
    request: Request,
    container: Container,
    video: Video,
    access: Access,
    name: str,
    *,
    filename: str | None = None,
    attachment: bool = True,
) -> Response:
    """The video's ready static rendition ``name`` (404 ``download_not_found``, 409
    ``download_not_ready``)."""
    info = await run_in_threadpool(container.static_renditions.ready_file, video, name)
    ext = name.rpartition(".")[2]
    return await hls.serve_object(
        request,
        container,
        info,
        access,
        media_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
        cache=PLAYLIST_CACHE,
        private_cache=PRIVATE_SEGMENT_CACHE,
        extra_headers={"Content-Disposition": disposition(filename or name, attachment=attachment)},
    )
