"""The direct-upload flow's reads: ``GET /api/videos/{id}`` and ``/api/videos/{id}/status``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from vidhost.http.captions import caption_out
from vidhost.http.deps import ContainerDep, CurrentUser, VideosDep
from vidhost.http.views import VideoDetails, VideoStatus, video_details, video_status

router = APIRouter(prefix="/api/videos", tags=["videos"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user"},
    404: {"description": "Unknown video"},
}


@router.get("/{video_id}/status", response_model=VideoStatus, responses=ERRORS)
async def get_status(
    video_id: str, request: Request, user: CurrentUser, videos: VideosDep
) -> VideoStatus:
    """Processing state, progress and (once ready) playback information."""
    video = await run_in_threadpool(videos.get, video_id, owner=user)
    tasks = await run_in_threadpool(videos.tasks, video_id)
    return video_status(request, video, tasks)


@router.get("/{video_id}", response_model=VideoDetails, responses=ERRORS)
async def get_video(
    video_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> VideoDetails:
    """Metadata, technical details, renditions, playback URLs, downloads and captions of one
    video."""
    videos = container.videos
    video = await run_in_threadpool(videos.get, video_id, owner=user)
    tasks = await run_in_threadpool(videos.tasks, video_id)
    downloads = await run_in_threadpool(container.static_renditions.of_video, video_id)
    details = video_details(request, video, tasks, downloads)
    tracks = await run_in_threadpool(container.captions.of_video, video_id)
    details.captions = [caption_out(request, t) for t in tracks]
    return details
