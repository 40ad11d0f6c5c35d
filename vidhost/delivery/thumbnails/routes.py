"""Thumbnails on demand, storyboard (sprite + WebVTT) and animated previews.

- ``GET /api/videos/{id}/thumbnail.{jpg|png|webp}?time=&width=&height=&fit=``
- ``GET /api/videos/{id}/storyboard.vtt`` and ``/storyboard.jpg``
- ``GET /api/videos/{id}/preview.{gif|webp}?start=&duration=&width=&fps=``

Rendered on first request, then served from the storage cache (ETag, Range, 304); the
answers are ``vidhost.http.thumbnails``', shared with the Mux and Cloudflare image routes.
Public and unlisted videos' images are open to anyone (like Mux's image host); a private
video's need the owner's bearer token or ``?token=`` with aud ``t`` (thumbnails), ``s``
(storyboard) or ``g`` (previews). Private answers are ``Cache-Control: private``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.access import Audience
from vidhost.http import thumbnails as images
from vidhost.http.deps import ContainerDep, ViewerDep
from vidhost.http.errors import ApiError
from vidhost.http.openapi import binary
from vidhost.http.reads import readable
from vidhost.http.thumbnails import ANIMATION_TYPES, FITS, IMAGE_TYPES, MAX_SIDE

router = APIRouter(prefix="/api/videos", tags=["thumbnails"])

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
    return await images.thumbnail(
        request, container, video_id, viewer, fmt, time=time, width=width, height=height, fit=fit
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
    return await images.storyboard_index(container, video, access, viewer.token)


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
    return await images.storyboard_sprite(request, container, video, access)


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
    fmt = images.image_format(fmt, ANIMATION_TYPES)
    video, access = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.ANIMATED
    )
    if start >= (video.duration or 0.0):
        raise ApiError(400, "bad_time", "start is past the end of the video")
    info = await images.render(
        lambda: container.renderer.preview(
            video, start=start, duration=duration, width=width, fps=fps, fmt=fmt
        )
    )
    return images.image(request, container, info, ANIMATION_TYPES[fmt], access)
