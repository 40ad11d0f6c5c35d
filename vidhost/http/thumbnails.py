"""The image answers every surface shares: stills, storyboards, previews (ADR 0043).

vidhost's ``/api/videos/{id}/...`` (``vidhost.delivery.thumbnails.routes``), Mux's
``image.mux.com`` shapes and Cloudflare's ``/thumbnails/thumbnail.jpg`` each resolve the video
and the access their own way, then answer here: render through ``Container.renderer`` (the
``core.thumbnails.Renderer`` port) in the thread pool, a full render gate as 503
``render_busy`` with ``Retry-After``, and the cached image with ranges, ETag and
``Cache-Control`` (``private`` for a private video).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access, Audience, Viewer
from vidhost.core.models import Video
from vidhost.core.ports import ObjectInfo
from vidhost.core.thumbnails import RenderBusy, Still
from vidhost.http.errors import ApiError
from vidhost.http.ranges import object_response
from vidhost.http.reads import VARY, readable

# the formats the renderer makes, named by the standalone media library, for every surface
from vidhost.media.thumbs import ANIMATION_TYPES as ANIMATION_TYPES
from vidhost.media.thumbs import FITS as FITS
from vidhost.media.thumbs import IMAGE_TYPES as IMAGE_TYPES

CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, max-age=3600"
MAX_SIDE = 3840
T = TypeVar("T")


def cache_of(access: Access) -> str:
    return PRIVATE_CACHE if access.private else CACHE


async def render(work: Callable[[], T]) -> T:
    """Run a render in the thread pool; a full render gate is 503 ``render_busy``."""
    try:
        return await run_in_threadpool(work)
    except RenderBusy as exc:
        raise ApiError(
            503, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}
        ) from None


def image_format(value: str, allowed: dict[str, str]) -> str:
    if value not in allowed:
        raise ApiError(
            400, "unsupported_format", f"format must be one of {', '.join(sorted(allowed))}"
        )
    return value


def image(
    request: Request, container: Container, info: ObjectInfo, media_type: str, access: Access
) -> Response:
    """A rendered image from storage: ranges, conditional requests, the access's caching."""
    return object_response(
        request,
        container.storage,
        info,
        media_type=media_type,
        cache_control=cache_of(access),
        vary=VARY,
    )


async def thumbnail(
    request: Request,
    container: Container,
    video_id: str,
    viewer: Viewer,
    fmt: str,
    *,
    time: float | None,
    width: int | None,
    height: int | None,
    fit: str,
) -> Response:
    """One frame at ``time`` (default: 1 s, or the middle of a shorter video), scaled into
    ``width`` x ``height`` per ``fit``; 400 ``bad_time`` past the end."""
    fmt = image_format(fmt, IMAGE_TYPES)
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
    still = Still(at, width, height, fit, fmt)
    info = await render(lambda: container.renderer.still(video, still))
    return image(request, container, info, IMAGE_TYPES[fmt], access)


async def storyboard_index(
    container: Container, video: Video, access: Access, token: str | None
) -> Response:
    """The storyboard's WebVTT; a token that opened it is carried into the sprite URLs."""
    _, vtt = await render(lambda: container.renderer.storyboard(video))
    if access.by_token and token is not None:  # the sprite needs the same token
        vtt = vtt.replace("storyboard.jpg#", f"storyboard.jpg?token={quote(token, safe='')}#")
    return Response(
        vtt, media_type="text/vtt", headers={"Cache-Control": cache_of(access), "Vary": VARY}
    )


async def storyboard_sprite(
    request: Request, container: Container, video: Video, access: Access
) -> Response:
    """The storyboard's sprite sheet, with ranges and conditional requests."""
    sprite, _ = await render(lambda: container.renderer.storyboard(video))
    return image(request, container, sprite, "image/jpeg", access)
