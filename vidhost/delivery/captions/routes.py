"""vidhost's captions: ``POST/GET /api/videos/{id}/captions``, ``GET/DELETE
/api/videos/{id}/captions/{trackId}`` and ``GET .../captions/{trackId}.vtt`` (ADR 0068).

Only the owner adds or removes tracks; reading follows the video's visibility and playback
tokens (``?token=``, audience ``v``), as its stream does. A caption file is WebVTT or SRT
(converted), checked and sanitized before anything is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.access import Audience
from vidhost.core.text_tracks import TextTrack
from vidhost.delivery import streaming
from vidhost.http.body_limit import StreamedBody
from vidhost.http.captions import (
    VTT,
    CaptionOut,
    caption_out,
    form_bool,
    read_caption_form,
    serve_vtt,
)
from vidhost.http.deps import ContainerDep, CurrentUser, ViewerDep
from vidhost.http.openapi import binary
from vidhost.http.reads import readable

router = APIRouter(prefix="/api/videos", tags=["captions"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid_caption, unsupported_caption_format, invalid_request, no_file"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user (or is private: a token is needed)"},
    404: {"description": "Unknown video (video_not_found) or track (track_not_found)"},
    413: {"description": "caption_too_large: over 2 MiB or too many cues"},
}


@router.post(
    "/{video_id}/captions",
    status_code=201,
    response_model=CaptionOut,
    responses=ERRORS,
    dependencies=[StreamedBody],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "language"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "language": {"type": "string"},
                            "name": {"type": "string"},
                            "closedCaptions": {"type": "boolean"},
                        },
                    }
                }
            }
        }
    },
)
async def add_caption(
    video_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> CaptionOut:
    """Add a WebVTT or SRT track (multipart ``file``, ``language``, ``name``,
    ``closedCaptions``)."""
    await run_in_threadpool(container.videos.get, video_id, owner=user)  # 403 before the body
    data, fields = await read_caption_form(request, container)

    def run() -> TextTrack:
        video = container.videos.get(video_id, owner=user)
        return container.captions.add_uploaded(
            video,
            data,
            language=fields.get("language", ""),
            name=fields.get("name"),
            closed_captions=form_bool(fields.get("closedCaptions"), "closedCaptions"),
        )

    return caption_out(request, await run_in_threadpool(run))


@router.get("/{video_id}/captions", response_model=list[CaptionOut], responses=ERRORS)
async def list_captions(
    video_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> list[CaptionOut]:
    """The video's text tracks (anyone who may watch it)."""

    def run() -> list[CaptionOut]:
        readable(container, video_id, viewer, Audience.VIDEO)
        return [caption_out(request, t) for t in container.captions.of_video(video_id)]

    return await run_in_threadpool(run)


@router.api_route(
    "/{video_id}/captions/{track_id}.vtt",
    methods=["GET", "HEAD"],
    description=streaming.TOKEN_DOC,
    responses={**binary(VTT, description="The WebVTT file"), **ERRORS},
)
async def caption_file(
    video_id: str, track_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """A ready track's WebVTT."""
    _, access = await run_in_threadpool(readable, container, video_id, viewer, Audience.VIDEO)
    return await serve_vtt(request, container, video_id, track_id, access)


@router.get("/{video_id}/captions/{track_id}", response_model=CaptionOut, responses=ERRORS)
async def get_caption(
    video_id: str, track_id: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> CaptionOut:
    def run() -> CaptionOut:
        readable(container, video_id, viewer, Audience.VIDEO)
        return caption_out(request, container.captions.get(video_id, track_id))

    return await run_in_threadpool(run)


@router.delete(
    "/{video_id}/captions/{track_id}",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_caption(
    video_id: str, track_id: str, user: CurrentUser, container: ContainerDep
) -> Response:
    """Remove a track (the master playlist no longer names it)."""

    def run() -> None:
        video = container.videos.get(video_id, owner=user)
        container.captions.delete(video, track_id)

    await run_in_threadpool(run)
    return Response(status_code=204)
