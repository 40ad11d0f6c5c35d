"""Playback in the shape of a Cloudflare Stream customer subdomain, on vidhost's host.

- ``/{uid-or-token}/manifest/video.m3u8``: the HLS master playlist; its variants resolve to
  ``/{uid-or-token}/manifest/{rendition}.m3u8`` and their segments to
  ``/{uid-or-token}/manifest/segment/{segmentId}``, so the token in the path travels with
  every relative URI and any HLS player plays from the one URL;
- ``/{uid-or-token}/thumbnails/thumbnail.jpg?time=&width=&height=&fit=``.

A path segment with dots is a signed-URL token (``POST .../stream/{uid}/token``, or one a
customer signed with a vidhost signing key): its ``sub`` names the video, and
``vidhost.core.access`` decides as for every read (ADR 0050). A uid opens a video without
``requireSignedURLs`` (visibility ``unlisted``); the owner's bearer token opens any of its
own. ``allowedOrigins``, when set, is checked against a browser's ``Origin``.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Annotated
from urllib.parse import urlsplit

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Viewer
from vidhost.core.errors import Forbidden
from vidhost.core.layout import DASH_MANIFEST, MASTER
from vidhost.http import hls as hls
from vidhost.http import thumbnails as images
from vidhost.http.deps import ContainerDep, user_of
from vidhost.http.errors import ApiError
from vidhost.http.reads import find_video
from vidhost.providers.cloudflare.views import extras

router = APIRouter(tags=["cloudflare stream playback"])

_UID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h)?$")
FITS = {"crop": "cover", "clip": "contain", "scale": "fill", "fill": "pad"}
"""Cloudflare's ``fit`` -> vidhost's."""


def resolve(request: Request, ref: str) -> tuple[str, Viewer]:
    """The video id a path segment names, and who is asking (the token, if it is one)."""
    token = request.query_params.get("token") or None
    if "." in ref:
        try:
            claims = jwt.decode(ref, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Forbidden("invalid playback token", code="playback_token_invalid") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not _UID.match(sub):
            raise Forbidden("invalid playback token", code="playback_token_invalid")
        video_id, token = sub, ref
    elif _UID.match(ref):
        video_id = ref
    else:
        raise ApiError(404, "video_not_found", "video not found")
    return video_id, Viewer(user=user_of(request), token=token)


def _origin_allowed(container: Container, video_id: str, origin: str | None) -> None:
    if origin is None:
        return
    allowed = extras(find_video(container, video_id)).get("allowedOrigins") or []
    if not allowed:
        return
    host = urlsplit(origin).hostname or ""
    if not any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in allowed):
        raise Forbidden("this origin may not display the video", code="access_denied")


async def checked(request: Request, container: Container, ref: str) -> tuple[str, Viewer]:
    video_id, viewer = resolve(request, ref)
    origin = request.headers.get("origin")
    await run_in_threadpool(_origin_allowed, container, video_id, origin)
    return video_id, viewer


def _in_path(ref: str) -> bool:
    return "." in ref


async def _top_playlist(ref: str, request: Request, container: Container, name: str) -> Response:
    """The master playlist or the DASH manifest: a token in the path travels in their
    relative URIs already; one in ``?token=`` is carried into them."""
    video_id, viewer = await checked(request, container, ref)
    video, access = await hls.readable(container, viewer, video_id)
    token = None if _in_path(ref) else viewer.token
    return await hls.playlist(request, container, video, access, name, token=token)


@router.api_route("/{ref}/manifest/video.m3u8", methods=["GET", "HEAD"])
async def manifest(ref: str, request: Request, container: ContainerDep) -> Response:
    """The HLS master playlist."""
    return await _top_playlist(ref, request, container, MASTER)


@router.api_route("/{ref}/manifest/video.mpd", methods=["GET", "HEAD"])
async def dash_manifest(ref: str, request: Request, container: ContainerDep) -> Response:
    """The DASH manifest (``playback.dash``); its segment URIs resolve under this path."""
    return await _top_playlist(ref, request, container, DASH_MANIFEST)


@router.api_route("/{ref}/manifest/segment/{segment_id}", methods=["GET", "HEAD"])
async def segment(ref: str, segment_id: str, request: Request, container: ContainerDep) -> Response:
    """One media segment; one planned but not stored yet is held until it is (ADR 0064)."""
    hls.check_media_name(segment_id)
    video_id, viewer = await checked(request, container, ref)
    video, access = await hls.readable(container, viewer, video_id)
    return await hls.media(request, container, video, access, segment_id)


@router.api_route("/{ref}/manifest/{rendition}.m3u8", methods=["GET", "HEAD"])
async def variant(ref: str, rendition: str, request: Request, container: ContainerDep) -> Response:
    """A variant playlist; its segment URIs resolve under this path."""
    name = hls.variant_name(rendition)
    video_id, viewer = await checked(request, container, ref)
    video, access = await hls.readable(container, viewer, video_id)
    return await hls.playlist(request, container, video, access, name, token=viewer.token)


@router.get("/{ref}/thumbnails/thumbnail.{fmt}")
async def thumbnail(
    ref: str,
    fmt: str,
    request: Request,
    container: ContainerDep,
    time: Annotated[str | None, Query(max_length=20, description="e.g. `1s`, `1.5s`, `2m`")] = None,
    width: Annotated[int | None, Query(ge=16, le=images.MAX_SIDE)] = None,
    height: Annotated[int | None, Query(ge=16, le=images.MAX_SIDE)] = None,
    fit: Annotated[str, Query(description=" | ".join(FITS))] = "crop",
) -> Response:
    """One frame at ``time`` (default: ``thumbnailTimestampPct`` of the video, else 0 s)."""
    video_id, viewer = await checked(request, container, ref)
    if fit not in FITS:
        raise ApiError(400, "invalid_request", f"fit must be one of {', '.join(FITS)}")
    at: float | None = None
    if time is not None:
        match = _TIME.match(time.strip())
        if match is None:
            raise ApiError(400, "invalid_request", "time must look like 1s, 1.5s or 2m")
        at = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    else:
        video = await run_in_threadpool(find_video, container, video_id)
        pct = extras(video).get("thumbnailTimestampPct") or 0
        at = float(pct) * (video.duration or 0.0) if pct else 0.0
    return await images.thumbnail(
        request,
        container,
        video_id,
        viewer,
        fmt,
        time=at,
        width=width,
        height=height,
        fit=FITS[fit],
    )
