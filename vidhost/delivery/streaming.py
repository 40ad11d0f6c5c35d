"""HLS streaming: ``/stream/ready``, the master manifest, variants and segments.

URL layout under ``/stream/{videoId}/``:
- ``manifest``: the master playlist; its variant URIs are ``{rendition}.m3u8``;
- ``{rendition}.m3u8``: a variant playlist; its segment URIs are ``segment/{segmentId}``;
- ``segment/{segmentId}``: one media segment (``{rendition}_{nnnnn}.ts``);
- ``poster.jpg``: the poster frame.

These routes resolve the video and the viewer's access; playlists and segments are then
served by ``vidhost.http.hls``, the one delivery path of every surface (ADR 0064).

Access (``vidhost.core.access``): public and unlisted videos are open; a private video needs
the owner's bearer token or ``?token=`` (a playback token), which a tokenized playlist carries
into every URI it names. Private answers are ``Cache-Control: private``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.access import Audience
from vidhost.core.layout import DASH_MANIFEST, MASTER, poster_key
from vidhost.http import hls as hls
from vidhost.http.deps import ContainerDep, OptionalUser, ViewerDep
from vidhost.http.errors import ApiError
from vidhost.http.openapi import binary
from vidhost.http.reads import PLAYLIST_CACHE, VARY

router = APIRouter(prefix="/stream", tags=["streaming"])

HLS = hls.HLS
TOKEN_DOC = (
    "`?token=`: a playback token (JWT, aud `v`; `t` for the poster) for a private video; "
    "the owner may send `Authorization: Bearer` instead."
)
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Private video: playback_token_required or playback_token_*"},
    404: {"description": "Unknown video"},
    409: {"description": "The video exists but is not ready"},
}
SEGMENT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    503: {"description": "Not encoded within the wait (segment_not_ready); see Retry-After"},
}


readable = hls.readable
"""The ready video and the viewer's access (``vidhost.http.hls.readable``)."""


@router.get("/ready", response_model=list[str])
async def ready(container: ContainerDep, user: OptionalUser, response: Response) -> list[str]:
    """Ready videos with a manifest: the public ones, plus the caller's own (bearer token)."""
    response.headers["Vary"] = VARY  # the answer depends on who asks: no shared caching
    response.headers["Cache-Control"] = "private, no-cache"
    return await run_in_threadpool(lambda: container.videos.ready_ids(viewer=user))


@router.api_route(
    "/{video_id}/manifest",
    methods=["GET", "HEAD"],
    description=TOKEN_DOC,
    responses={**binary(HLS, description="HLS master playlist"), **ERRORS},
)
async def manifest(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    video, access = await readable(container, viewer, video_id)
    return await hls.playlist(request, container, video, access, MASTER, token=viewer.token)


@router.api_route(
    "/{video_id}/manifest.mpd",
    methods=["GET", "HEAD"],
    description=TOKEN_DOC,
    responses={**binary(hls.CONTENT_TYPES["mpd"], description="DASH manifest"), **ERRORS},
)
async def dash_manifest(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """The DASH manifest over the same CMAF segments as the HLS playlists (ADR 0063); 404
    for a video packaged as MPEG-TS before it."""
    video, access = await readable(container, viewer, video_id)
    return await hls.playlist(request, container, video, access, DASH_MANIFEST, token=viewer.token)


@router.api_route(
    "/{video_id}/segment/{segment_id}",
    methods=["GET", "HEAD"],
    responses={
        **binary(
            "video/iso.segment",
            "video/mp4",
            "video/MP2T",
            description="CMAF media or init segment (MPEG-TS for older videos)",
            redirect=True,
        ),
        **SEGMENT_ERRORS,
    },
)
async def segment(
    video_id: str, segment_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """One media segment; honours ``Range`` (206/416), ETag and Last-Modified. One that is
    planned but not stored yet is encoded next and the request held until it is stored (503
    with ``Retry-After`` past ``VIDHOST_SEGMENT_WAIT_SECONDS``)."""
    hls.check_media_name(segment_id)
    video, access = await readable(container, viewer, video_id)
    return await hls.media(request, container, video, access, segment_id)


@router.api_route(
    "/{video_id}/poster.jpg",
    methods=["GET", "HEAD"],
    responses={**binary("image/jpeg", description="Poster frame", redirect=True), **ERRORS},
)
async def poster(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """The poster frame (a private video's needs a playback token with aud ``t``)."""
    video, access = await readable(container, viewer, video_id, Audience.THUMBNAIL)
    try:
        info = await run_in_threadpool(container.storage.stat, poster_key(video.id))
    except FileNotFoundError:
        raise ApiError(404, "not_found", "poster.jpg not found") from None
    return await hls.serve_object(
        request, container, info, access, media_type="image/jpeg", cache=PLAYLIST_CACHE
    )


@router.api_route(
    "/{video_id}/{rendition}.m3u8",
    methods=["GET", "HEAD"],
    responses={**binary(HLS, description="HLS variant playlist"), **ERRORS},
)
async def variant(
    video_id: str, rendition: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """A variant (one rendition) playlist; segment URIs resolve to ``segment/{segmentId}``."""
    name = hls.variant_name(rendition)
    video, access = await readable(container, viewer, video_id)
    return await hls.playlist(request, container, video, access, name, token=viewer.token)
