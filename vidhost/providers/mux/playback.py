"""Playback in the shapes of ``stream.mux.com`` and ``image.mux.com``, on vidhost's host.

- ``/{playback_id}.m3u8``: the master playlist; its variants are
  ``{playback_id}/hls/{rendition}.m3u8`` and their segments ``segment/{name}.ts`` (relative,
  so the same URLs work behind a path prefix);
- ``/{playback_id}/thumbnail.{jpg,png,webp}?time=&width=&height=&fit_mode=``,
  ``/{playback_id}/animated.{gif,webp}?start=&end=&width=&height=&fps=``,
  ``/{playback_id}/storyboard.vtt`` (and its sprite ``storyboard.jpg``).

A ``public`` playback id is open; a ``signed`` one needs ``?token=`` (RS256, ``kid``, ``sub``
= the playback id, ``aud`` ``v``/``t``/``g``/``s``, ``exp``; ADR 0050), which the playlists
carry into every URI they name. These routes are registered after every other route, and a
path whose first segment is not a playback id's shape is a 404.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access, Audience, authorize_playback_id
from vidhost.core.errors import NotFound
from vidhost.core.layout import MASTER
from vidhost.core.models import Video
from vidhost.core.thumbnails import Still
from vidhost.http import hls as hls
from vidhost.http.errors import ApiError
from vidhost.http.openapi import binary
from vidhost.http.thumbnails import (
    ANIMATION_TYPES,
    IMAGE_TYPES,
    MAX_SIDE,
    image,
    render,
    storyboard_index,
    storyboard_sprite,
)
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.playback_ids import is_playback_id

router = APIRouter(route_class=MuxRoute, tags=["mux playback"])

FIT_MODES = {
    "preserve": "contain",
    "stretch": "fill",
    "crop": "cover",
    "smartcrop": "cover",
    "pad": "pad",
}
"""Mux's ``fit_mode`` -> vidhost's ``fit``."""
ERRORS = MUX_ERRORS


def _resolve(
    container: Container, playback_id: str, token: str | None, audience: Audience
) -> tuple[Video, Access]:
    if not is_playback_id(playback_id):
        raise NotFound("Playback ID not found", code="playback_id_not_found")
    pid, video = container.mux.resolve(playback_id)
    access = authorize_playback_id(pid.id, pid.policy, video, token, audience, container.playback)
    return video, access


async def resolved(
    request: Request, container: Container, playback_id: str
) -> tuple[Video, Access, str | None]:
    """The ready asset a playback id names, the access its token grants, the token."""
    token = request.query_params.get("token") or None

    def locate() -> tuple[Video, Access]:
        video, access = _resolve(container, playback_id, token, Audience.VIDEO)
        return hls.ready(video, "asset"), access

    video, access = await run_in_threadpool(locate)
    return video, access, token


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


@router.api_route(
    "/{playback_id}.m3u8",
    methods=["GET", "HEAD"],
    responses={**binary(hls.HLS, description="HLS master playlist", ranges=False), **ERRORS},
)
async def master(playback_id: str, request: Request) -> Response:
    """The HLS master playlist (``stream.mux.com/{PLAYBACK_ID}.m3u8``)."""
    container = _container(request)
    video, access, token = await resolved(request, container, playback_id)
    return await hls.playlist(
        request, container, video, access, MASTER, token=token, prefix=f"{playback_id}/hls/"
    )


@router.api_route("/{playback_id}/hls/segment/{segment}", methods=["GET", "HEAD"], responses=ERRORS)
async def segment(playback_id: str, segment: str, request: Request) -> Response:
    """A media segment; one planned but not stored yet is held until it is (ADR 0064)."""
    hls.check_media_name(segment)
    container = _container(request)
    video, access, _ = await resolved(request, container, playback_id)
    return await hls.media(request, container, video, access, segment)


@router.api_route(
    "/{playback_id}/hls/{rendition}.m3u8",
    methods=["GET", "HEAD"],
    responses={**binary(hls.HLS, description="HLS variant playlist", ranges=False), **ERRORS},
)
async def variant(playback_id: str, rendition: str, request: Request) -> Response:
    name = hls.variant_name(rendition)
    container = _container(request)
    video, access, token = await resolved(request, container, playback_id)
    return await hls.playlist(request, container, video, access, name, token=token)


@router.get(
    "/{playback_id}/thumbnail.{fmt}",
    responses={**binary(*IMAGE_TYPES.values(), description="One frame"), **ERRORS},
)
async def thumbnail(
    playback_id: str,
    fmt: Annotated[str, Path(json_schema_extra={"enum": list(IMAGE_TYPES)})],
    request: Request,
    time: Annotated[float | None, Query(ge=0)] = None,
    width: Annotated[int | None, Query(ge=16, le=MAX_SIDE)] = None,
    height: Annotated[int | None, Query(ge=16, le=MAX_SIDE)] = None,
    fit_mode: Annotated[str, Query(description=" | ".join(FIT_MODES))] = "preserve",
) -> Response:
    """One frame (``image.mux.com/{PLAYBACK_ID}/thumbnail.jpg``); default time: the middle."""
    container = _container(request)
    if fmt not in IMAGE_TYPES:
        raise ApiError(400, "unsupported_format", f"format must be one of {sorted(IMAGE_TYPES)}")
    if fit_mode not in FIT_MODES:
        raise ApiError(400, "invalid_request", f"fit_mode must be one of {', '.join(FIT_MODES)}")
    token = request.query_params.get("token") or None
    video, access = await run_in_threadpool(
        _resolve, container, playback_id, token, Audience.THUMBNAIL
    )
    duration = video.duration or 0.0
    at = duration / 2 if time is None else min(time, duration)
    still = Still(at, width, height, FIT_MODES[fit_mode], fmt)
    info = await render(lambda: container.renderer.still(video, still))
    return image(request, container, info, IMAGE_TYPES[fmt], access)


@router.get(
    "/{playback_id}/animated.{fmt}",
    responses={**binary(*ANIMATION_TYPES.values(), description="Looping animation"), **ERRORS},
)
async def animated(
    playback_id: str,
    fmt: Annotated[str, Path(json_schema_extra={"enum": list(ANIMATION_TYPES)})],
    request: Request,
    start: Annotated[float, Query(ge=0)] = 0.0,
    end: Annotated[float | None, Query(gt=0)] = None,
    width: Annotated[int | None, Query(ge=32, le=640)] = None,
    height: Annotated[int | None, Query(ge=32, le=640)] = None,
    fps: Annotated[int, Query(ge=1, le=30)] = 15,
) -> Response:
    """A looping animation (``image.mux.com/{PLAYBACK_ID}/animated.gif``), up to 10 s."""
    container = _container(request)
    if fmt not in ANIMATION_TYPES:
        raise ApiError(
            400, "unsupported_format", f"format must be one of {sorted(ANIMATION_TYPES)}"
        )
    token = request.query_params.get("token") or None
    video, access = await run_in_threadpool(
        _resolve, container, playback_id, token, Audience.ANIMATED
    )
    total = video.duration or 0.0
    if start >= total:
        raise ApiError(400, "bad_time", "start is past the end of the video")
    stop = min(end if end is not None else start + 5.0, total, start + 10.0)
    if stop <= start:
        raise ApiError(400, "bad_time", "end must be after start")
    if width is None:  # from height and the aspect ratio, else Mux's default 320
        aspect = (video.width or 16) / (video.height or 9)
        width = min(640, max(32, math.floor(height * aspect))) if height else 320
    info = await render(
        lambda: container.renderer.preview(
            video, start=start, duration=stop - start, width=width, fps=fps, fmt=fmt
        )
    )
    return image(request, container, info, ANIMATION_TYPES[fmt], access)


@router.get(
    "/{playback_id}/storyboard.vtt",
    responses={**binary("text/vtt", description="WebVTT index", ranges=False), **ERRORS},
)
async def storyboard_vtt(playback_id: str, request: Request) -> Response:
    """WebVTT cues over ``storyboard.jpg#xywh=`` tiles (``image.mux.com/.../storyboard.vtt``)."""
    container = _container(request)
    token = request.query_params.get("token") or None
    video, access = await run_in_threadpool(
        _resolve, container, playback_id, token, Audience.STORYBOARD
    )
    return await storyboard_index(container, video, access, token)


@router.get(
    "/{playback_id}/storyboard.jpg",
    responses={**binary("image/jpeg", description="The sprite sheet"), **ERRORS},
)
async def storyboard_jpg(playback_id: str, request: Request) -> Response:
    container = _container(request)
    token = request.query_params.get("token") or None
    video, access = await run_in_threadpool(
        _resolve, container, playback_id, token, Audience.STORYBOARD
    )
    return await storyboard_sprite(request, container, video, access)
