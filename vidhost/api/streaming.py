"""HLS streaming: ``/stream/ready``, the master manifest, variants and segments.

URL layout under ``/stream/{videoId}/``:
- ``manifest``: the master playlist; its variant URIs are ``{rendition}.m3u8``;
- ``{rendition}.m3u8``: a variant playlist; its segment URIs are ``segment/{segmentId}``;
- ``segment/{segmentId}``: one MPEG-TS segment (``{rendition}_{nnnnn}.ts``);
- ``poster.jpg``: the poster frame.

Access (``vidhost.domain.access``): public and unlisted videos are open; a private video needs
the owner's bearer token or ``?token=`` (a playback token), which a tokenized playlist carries
into every URI it names. Private answers are ``Cache-Control: private``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vidhost.api.deps import ContainerDep, OptionalUser, ViewerDep
from vidhost.api.errors import ApiError
from vidhost.api.on_demand import wait_for_segment
from vidhost.api.openapi import binary
from vidhost.api.ranges import object_response
from vidhost.api.reads import VARY, authorize_read, cache_headers, carry_token, find_video
from vidhost.domain.access import Access, Audience, Viewer
from vidhost.domain.errors import NotReady
from vidhost.domain.layout import DASH_MANIFEST, POSTER, hls_prefix, media_kind, poster_key
from vidhost.domain.lifecycle import VideoState
from vidhost.domain.models import Video
from vidhost.domain.ports import ObjectInfo
from vidhost.wiring import Container

router = APIRouter(prefix="/stream", tags=["streaming"])

HLS = "application/vnd.apple.mpegurl"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
PLAYLIST_CACHE = "public, max-age=60"
PRIVATE_SEGMENT_CACHE = "private, max-age=3600"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DASH = "application/dash+xml"
MEDIA_TYPES = {"ts": "video/MP2T", "m4s": "video/iso.segment", "mp4": "video/mp4"}
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


def _ready_video(container: Container, video_id: str) -> Video:
    video = find_video(container, video_id)
    if video.state is not VideoState.READY or video.manifest_key is None:
        raise NotReady(f"video is {video.state.value}, not ready for streaming")
    return video


async def _serve(
    request: Request,
    container: Container,
    viewer: Viewer,
    video_id: str,
    name: str,
    *,
    media_type: str,
    cache: str,
    private_cache: str = "private, max-age=60",
    audience: Audience = Audience.VIDEO,
    key: str | None = None,
    redirectable: bool = False,
    playlist: bool = False,
    on_demand: bool = False,
) -> Response:

    object_key = key or hls_prefix(video_id) + name

    def locate() -> tuple[ObjectInfo | None, Access]:  # one hop: the row, access, object
        video = _ready_video(container, video_id)
        access = authorize_read(container, video, viewer, audience)
        try:
            return container.storage.stat(object_key), access
        except FileNotFoundError:
            if on_demand:
                return None, access
            raise ApiError(404, "not_found", f"{name} not found") from None

    found, access = await run_in_threadpool(locate)
    # A ready video's segment not stored yet: its chunk is encoded next (ADR 0061).
    info = found or await wait_for_segment(container, video_id, name, object_key)
    headers = cache_headers(access, cache, private_cache)
    if playlist and access.by_token and viewer.token is not None:
        # Any HLS player plays from one URL: the token goes into every URI the playlist names.
        text = (await run_in_threadpool(container.storage.get_bytes, info.key)).decode()
        return Response(carry_token(text, viewer.token), media_type=media_type, headers=headers)
    downloads = container.downloads
    if redirectable and downloads is not None and container.settings.s3_stream_mode == "redirect":
        ttl = container.settings.s3_redirect_ttl
        url = await run_in_threadpool(lambda: downloads.presign_get(info.key, expires_in=ttl))
        return RedirectResponse(
            url, status_code=302, headers={"Cache-Control": "no-store", "Vary": VARY}
        )
    return object_response(
        request,
        container.storage,
        info,
        media_type=media_type,
        cache_control=headers["Cache-Control"],
        vary=VARY,
    )


@router.get("/ready", response_model=list[str])
async def ready(container: ContainerDep, user: OptionalUser, response: Response) -> list[str]:
    """Ready videos with a manifest: the public ones, plus the caller's own (bearer token)."""
    response.headers["Vary"] = VARY  # the answer depends on who asks: no shared caching
    response.headers["Cache-Control"] = "private, no-cache"
    return await run_in_threadpool(lambda: container.repo.ready_video_ids(viewer=user))


@router.api_route(
    "/{video_id}/manifest",
    methods=["GET", "HEAD"],
    description=TOKEN_DOC,
    responses={**binary(HLS, description="HLS master playlist"), **ERRORS},
)
async def manifest(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    return await _serve(
        request,
        container,
        viewer,
        video_id,
        "master.m3u8",
        media_type=HLS,
        cache=PLAYLIST_CACHE,
        playlist=True,
    )


@router.api_route(
    "/{video_id}/segment/{segment_id}",
    methods=["GET", "HEAD"],
    responses={
        **binary("video/MP2T", description="MPEG-TS segment", redirect=True),
        **SEGMENT_ERRORS,
    },
)
async def segment(
    video_id: str, segment_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """One MPEG-TS segment; honours ``Range`` (206/416), ETag and Last-Modified. One that
    is planned but not encoded yet is encoded next and waited for (503 after the wait)."""
    kind = media_kind(segment_id) if len(segment_id) <= 80 else None
    if kind is None:
        raise ApiError(404, "segment_not_found", "unknown segment")
    return await _serve(
        request,
        container,
        viewer,
        video_id,
        segment_id,
        media_type=MEDIA_TYPES[segment_id.rsplit(".", 1)[1]],
        cache=SEGMENT_CACHE,
        private_cache=PRIVATE_SEGMENT_CACHE,
        redirectable=True,
        on_demand=kind == "segment",
    )


@router.api_route(
    "/{video_id}/manifest.mpd",
    methods=["GET", "HEAD"],
    description=TOKEN_DOC,
    responses={**binary(DASH, description="DASH manifest (CMAF videos)"), **ERRORS},
)
async def dash_manifest(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """The DASH manifest over the same CMAF segments as the HLS playlists (ADR 0063); 404
    for a video packaged as MPEG-TS before it."""
    return await _serve(
        request,
        container,
        viewer,
        video_id,
        DASH_MANIFEST,
        media_type=DASH,
        cache=PLAYLIST_CACHE,
    )


@router.api_route(
    "/{video_id}/poster.jpg",
    methods=["GET", "HEAD"],
    responses={**binary("image/jpeg", description="Poster frame", redirect=True), **ERRORS},
)
async def poster(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """The poster frame (a private video's needs a playback token with aud ``t``)."""
    return await _serve(
        request,
        container,
        viewer,
        video_id,
        POSTER,
        media_type="image/jpeg",
        cache=PLAYLIST_CACHE,
        audience=Audience.THUMBNAIL,
        key=poster_key(video_id),
        redirectable=True,
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
    if not _NAME.match(rendition) or rendition == "master":
        raise ApiError(404, "not_found", "unknown rendition")
    return await _serve(
        request,
        container,
        viewer,
        video_id,
        f"{rendition}.m3u8",
        media_type=HLS,
        cache=PLAYLIST_CACHE,
        playlist=True,
    )
