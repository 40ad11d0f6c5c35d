"""Seed 001 streaming: ``/stream/ready``, the master manifest, variants and segments.

URL layout under ``/stream/{videoId}/``:
- ``manifest``: the master playlist; its variant URIs are ``{rendition}.m3u8``;
- ``{rendition}.m3u8``: a variant playlist; its segment URIs are ``segment/{segmentId}``;
- ``segment/{segmentId}``: one MPEG-TS segment (``{rendition}_{nnnnn}.ts``);
- ``poster.jpg``: the poster frame.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vidhost.api.deps import ContainerDep
from vidhost.api.errors import ApiError
from vidhost.api.openapi import binary
from vidhost.api.ranges import object_response
from vidhost.domain.errors import NotFound, NotReady
from vidhost.domain.lifecycle import VideoState
from vidhost.domain.models import Video
from vidhost.domain.ports import ObjectInfo
from vidhost.domain.services import hls_prefix
from vidhost.wiring import Container

router = APIRouter(prefix="/stream", tags=["streaming"])

HLS = "application/vnd.apple.mpegurl"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
PLAYLIST_CACHE = "public, max-age=60"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}\.ts$")


def _ready_video(container: Container, video_id: str) -> Video:
    video = container.repo.get_video(video_id)
    if video is None or video.state is VideoState.DELETED:
        raise NotFound("unknown video", code="video_not_found")
    if video.state is not VideoState.READY or video.manifest_key is None:
        raise NotReady(f"video is {video.state.value}, not ready for streaming")
    return video


async def _serve(
    request: Request,
    container: Container,
    video_id: str,
    name: str,
    *,
    media_type: str,
    cache: str,
    key: str | None = None,
    redirectable: bool = False,
) -> Response:

    def locate() -> ObjectInfo:  # one threadpool hop per request: the row, then the object
        video = _ready_video(container, video_id)
        try:
            return container.storage.stat(key or hls_prefix(video.id) + name)
        except FileNotFoundError:
            raise ApiError(404, "not_found", f"{name} not found") from None

    info = await run_in_threadpool(locate)
    downloads = container.downloads
    if redirectable and downloads is not None and container.settings.s3_stream_mode == "redirect":
        ttl = container.settings.s3_redirect_ttl
        url = await run_in_threadpool(lambda: downloads.presign_get(info.key, expires_in=ttl))
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    return object_response(
        request, container.storage, info, media_type=media_type, cache_control=cache
    )


@router.get("/ready", response_model=list[str])
async def ready(container: ContainerDep) -> list[str]:
    """Ids of every video that is ready (COMPLETED) and has a manifest in storage."""
    return await run_in_threadpool(container.repo.ready_video_ids)


@router.api_route(
    "/{video_id}/manifest",
    methods=["GET", "HEAD"],
    responses={
        **binary(HLS, description="HLS master playlist"),
        404: {"description": "Unknown video"},
        409: {"description": "The video exists but is not ready"},
    },
)
async def manifest(video_id: str, request: Request, container: ContainerDep) -> Response:
    return await _serve(
        request, container, video_id, "master.m3u8", media_type=HLS, cache=PLAYLIST_CACHE
    )


NOT_READY: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown video or file"},
    409: {"description": "The video exists but is not ready"},
}


@router.api_route(
    "/{video_id}/segment/{segment_id}",
    methods=["GET", "HEAD"],
    responses={**binary("video/MP2T", description="MPEG-TS segment", redirect=True), **NOT_READY},
)
async def segment(
    video_id: str, segment_id: str, request: Request, container: ContainerDep
) -> Response:
    """One MPEG-TS segment; honours ``Range`` (206/416), ETag and Last-Modified."""
    if not _SEGMENT.match(segment_id):
        raise ApiError(404, "segment_not_found", "unknown segment")
    return await _serve(
        request,
        container,
        video_id,
        segment_id,
        media_type="video/MP2T",
        cache=SEGMENT_CACHE,
        redirectable=True,
    )


@router.api_route(
    "/{video_id}/poster.jpg",
    methods=["GET", "HEAD"],
    responses={**binary("image/jpeg", description="Poster frame", redirect=True), **NOT_READY},
)
async def poster(video_id: str, request: Request, container: ContainerDep) -> Response:
    return await _serve(
        request,
        container,
        video_id,
        "poster.jpg",
        media_type="image/jpeg",
        cache=PLAYLIST_CACHE,
        key=f"videos/{video_id}/poster.jpg",
        redirectable=True,
    )


@router.api_route(
    "/{video_id}/{rendition}.m3u8",
    methods=["GET", "HEAD"],
    responses={**binary(HLS, description="HLS variant playlist"), **NOT_READY},
)
async def variant(
    video_id: str, rendition: str, request: Request, container: ContainerDep
) -> Response:
    """A variant (one rendition) playlist; segment URIs resolve to ``segment/{segmentId}``."""
    if not _NAME.match(rendition) or rendition == "master":
        raise ApiError(404, "not_found", "unknown rendition")
    return await _serve(
        request, container, video_id, f"{rendition}.m3u8", media_type=HLS, cache=PLAYLIST_CACHE
    )
