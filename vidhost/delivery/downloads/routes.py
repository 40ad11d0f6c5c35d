"""vidhost's downloads: ``POST/GET /api/videos/{id}/downloads`` (owner), the files at
``/stream/{id}/downloads/{name}`` (visibility and playback tokens as for the stream).

``rendition``: ``highest``, ``audio`` (M4A), or a height of the video's ladder (``720p``).
The file is remuxed from the stored ladder once its rung is stored (ADR 0065): the answer
is ``preparing`` at first, then ``GET /api/videos/{id}`` lists it ``ready`` with its size.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.static_renditions import AUDIO_ONLY
from vidhost.delivery import streaming
from vidhost.http import hls
from vidhost.http.deps import ContainerDep, CurrentUser, ViewerDep
from vidhost.http.downloads import serve_download
from vidhost.http.openapi import binary
from vidhost.http.views import DownloadOut, download_out

router = APIRouter(tags=["downloads"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "unknown_rendition, rendition_unavailable"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user"},
    404: {"description": "Unknown video or download"},
    409: {"description": "The video is not ready (not_ready)"},
}


class DownloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rendition: str = Field(
        default="highest", max_length=16, description="highest | audio | <height>p (720p)"
    )


def spec_of(rendition: str) -> str:
    """vidhost's rendition names -> the shared spec (``audio`` is the M4A)."""
    return AUDIO_ONLY if rendition == "audio" else rendition


@router.post(
    "/api/videos/{video_id}/downloads",
    status_code=201,
    response_model=DownloadOut,
    responses=ERRORS,
)
async def create_download(
    video_id: str,
    body: DownloadRequest,
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
) -> DownloadOut:
    """Ask for an MP4 (or the M4A) of a ready video; idempotent per rendition."""

    def run() -> DownloadOut:
        video = container.videos.get(video_id, owner=user)
        record = container.static_renditions.request(video, spec_of(body.rendition), strict=True)
        return download_out(request, record)

    return await run_in_threadpool(run)


@router.get("/api/videos/{video_id}/downloads", response_model=list[DownloadOut], responses=ERRORS)
async def list_downloads(
    video_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> list[DownloadOut]:
    def run() -> list[DownloadOut]:
        container.videos.get(video_id, owner=user)
        return [download_out(request, r) for r in container.static_renditions.of_video(video_id)]

    return await run_in_threadpool(run)


@router.delete(
    "/api/videos/{video_id}/downloads/{name}",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_download(
    video_id: str, name: str, user: CurrentUser, container: ContainerDep
) -> Response:
    def run() -> None:
        container.videos.get(video_id, owner=user)
        statics = container.static_renditions
        statics.remove(video_id, statics.find(video_id, name=name).id)

    await run_in_threadpool(run)
    return Response(status_code=204)


@router.api_route(
    "/stream/{video_id}/downloads/{name}",
    methods=["GET", "HEAD"],
    description=streaming.TOKEN_DOC,
    responses={
        **binary("video/mp4", "audio/mp4", description="The MP4 (or M4A) file"),
        **streaming.ERRORS,
    },
)
async def download_file(
    video_id: str, name: str, request: Request, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """A ready download, with Range and ``Content-Disposition: attachment``."""
    video, access = await hls.readable(container, viewer, video_id)
    stem = PurePath(video.filename).stem if video.filename else video.id
    return await serve_download(request, container, video, access, name, filename=f"{stem}-{name}")
