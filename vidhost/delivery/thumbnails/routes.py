"""Thumbnails on demand, storyboard (sprite + WebVTT) and animated previews.

- ``GET /api/videos/{id}/thumbnail.{jpg|png|webp}?time=&width=&height=&fit=``
- ``GET /api/videos/{id}/storyboard.vtt`` and ``/storyboard.jpg``
- ``GET /api/videos/{id}/preview.{gif|webp}?start=&duration=&width=&fps=``

Rendered on first request, then served from the storage cache (ETag, Range, 304).
Public and unlisted videos' images are open to anyone (like Mux's image host); a private
video's need the owner's bearer token or ``?token=`` with aud ``t`` (thumbnails), ``s``
(storyboard) or ``g`` (previews). Private answers are ``Cache-Control: private``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access, Audience
from vidhost.core.models import Video
from vidhost.delivery.thumbnails.renderer import RenderBusy, Still
from vidhost.http.deps import ContainerDep, ViewerDep
from vidhost.http.errors import ApiError
from vidhost.http.openapi import binary
from vidhost.http.ranges import object_response
from vidhost.http.reads import VARY, readable
from vidhost.media.thumbs import ANIMATION_TYPES, FITS, IMAGE_TYPES

router = APIRouter(prefix="/api/videos", tags=["thumbnails"])

CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, max-age=3600"
MAX_SIDE = 3840
DOC: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter (invalid_request, unsupported_format, bad_time)"},
    401: {"description": "Invalid bearer token"},
    403: {"description": "Private video: playback_token_required or playback_token_*"},
    404: {"description": "Unknown video"},
    409: {
        "description": "No source to render from yet (not_ready), or it changed (source_changed)"
    },
    503: {"description": "Every render slot is busy (render_busy); see Retry-After"},
}
T = TypeVar("T")


def _cache(access: Access) -> str:
    return PRIVATE_CACHE if access.private else CACHE


async def storyboard_index(
    container: Container, video: Video, access: Access, token: str | None
) -> Response:
    """The storyboard's WebVTT; a token that opened it is carried into the sprite URLs."""
    _, vtt = await _render(lambda: container.renderer.storyboard(video))
    if access.by_token and token is not None:  # the sprite needs the same token
        vtt = vtt.replace("storyboard.jpg#", f"storyboard.jpg?token={quote(token, safe='')}#")
    return Response(
        vtt, media_type="text/vtt", headers={"Cache-Control": _cache(access), "Vary": VARY}
    )


async def storyboard_sprite(
    request: Request, container: Container, video: Video, access: Access
) -> Response:
    """The storyboard's sprite sheet, with ranges and conditional requests."""
    sprite, _ = await _render(lambda: container.renderer.storyboard(video))
    return object_response(
        request,
        container.storage,
        sprite,
        media_type="image/jpeg",
        cache_control=_cache(access),
        vary=VARY,
    )


async def _render(work: Callable[[], T]) -> T:
    """Run a render in the thread pool; a full render gate is 503 ``render_busy``."""
    try:
        return await run_in_threadpool(work)
    except RenderBusy as exc:
        raise ApiError(
            503, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}
        ) from None


def _format(value: str, allowed: dict[str, str]) -> str:
    if value not in allowed:
        raise ApiError(
            400, "unsupported_format", f"format must be one of {', '.join(sorted(allowed))}"
        )
    return value


@router.get(
    "/{video_id}/thumbnail.{fmt}",
    responses={**binary(*IMAGE_TYPES.values(), description="One frame"), **DOC},
)
async def thumbnail(
    video_id: str,
    fmt: Annotated[str, Path(json_schema_extra={"enum": list(IMAGE_TYPES)})],
    request: Request,
    viewer: ViewerDep,
    container: ContainerDep,
    time: Annotated[float | None, Query(ge=0, description="Seconds; default: poster time")] = None,
    width: Annotated[int | None, Query(ge=16, le=MAX_SIDE)] = None,
    height: Annotated[int | None, Query(ge=16, le=MAX_SIDE)] = None,
    fit: Annotated[str, Query(description=" | ".join(FITS))] = "contain",
) -> Response:
    """One frame at ``time`` (0.1 s steps), scaled into ``width`` x ``height`` per ``fit``."""
    fmt = _format(fmt, IMAGE_TYPES)
    if fit not in FITS:
        raise ApiError(400, "invalid_request", f"fit must be one of {', '.join(FITS)}")
    video, access = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.THUMBNAIL
    )
    duration = video.duration or 0.0
    at = min(1.0, duration / 2) if time is None else time
    if at > duration:
        raise ApiError(
            400, "bad_time", f"time {at:g} is past the end of the video ({duration:g} s)"
        )
    info = await _render(
        lambda: container.renderer.still(video, Still(at, width, height, fit, fmt))
    )
    return object_response(
        request,
        container.storage,
        info,
        media_type=IMAGE_TYPES[fmt],
        cache_control=_cache(access),
        vary=VARY,
    )


@router.get(
    "/{video_id}/storyboard.vtt",
    responses={**binary("text/vtt", description="WebVTT index", ranges=False), **DOC},
)
async def storyboard_vtt(video_id: str, viewer: ViewerDep, container: ContainerDep) -> Response:
    """WebVTT cues, one per tile: ``storyboard.jpg#xywh=x,y,w,h``."""
    video, access = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.STORYBOARD
    )
    return await storyboard_index(container, video, access, viewer.token)


@router.get(
    "/{video_id}/storyboard.jpg",
    responses={**binary("image/jpeg", description="The sprite sheet"), **DOC},
)
async def storyboard_jpg(
    video_id: str, request: Request, viewer: ViewerDep, container: ContainerDep
) -> Response:
    """The sprite sheet: tiles left to right, top to bottom."""
    video, access = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.STORYBOARD
    )
    return await storyboard_sprite(request, container, video, access)


@router.get(
    "/{video_id}/preview.{fmt}",
    responses={**binary(*ANIMATION_TYPES.values(), description="Looping animation"), **DOC},
)
async def preview(
    video_id: str,
    fmt: Annotated[str, Path(json_schema_extra={"enum": list(ANIMATION_TYPES)})],
    request: Request,
    viewer: ViewerDep,
    container: ContainerDep,
    start: Annotated[float, Query(ge=0)] = 0.0,
    duration: Annotated[float, Query(gt=0, le=10)] = 3.0,
    width: Annotated[int, Query(ge=32, le=640)] = 320,
    fps: Annotated[int, Query(ge=1, le=30)] = 10,
) -> Response:
    """A looping, silent animation of ``duration`` s from ``start`` (GIF or animated WebP)."""
    fmt = _format(fmt, ANIMATION_TYPES)
    video, access = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.ANIMATED
    )
    if start >= (video.duration or 0.0):
        raise ApiError(400, "bad_time", "start is past the end of the video")
    info = await _render(
        lambda: container.renderer.preview(
            video, start=start, duration=duration, width=width, fps=fps, fmt=fmt
        )
    )
    return object_response(
        request,
        container.storage,
        info,
        media_type=ANIMATION_TYPES[fmt],
        cache_control=_cache(access),
        vary=VARY,
    )
