"""The caller's video library: ``GET /api/videos`` (paginated, by state), ``PATCH`` (edit
title, description, tags, visibility) and ``DELETE``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from vidhost.core.lifecycle import VideoState
from vidhost.http.deps import ContainerDep, CurrentUser, Offset
from vidhost.http.errors import ApiError
from vidhost.http.views import VideoDetails, video_details
from vidhost.ingest.presigned.routes import MetadataPatch, store_metadata

router = APIRouter(prefix="/api/videos", tags=["library"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid query"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user"},
    404: {"description": "Unknown video"},
}

LISTED = [s.value for s in VideoState if s is not VideoState.DELETED]


class VideoPage(BaseModel):
    videos: list[VideoDetails]
    total: int
    limit: int
    offset: int


class Deleted(BaseModel):
    videoId: str
    message: str = "Video deleted"


@router.get("", response_model=VideoPage, responses=ERRORS)
async def list_videos(
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
    limit: int = Query(20, ge=1, le=100),
    offset: Offset = 0,
    state: list[str] | None = Query(
        None, description=f"Only videos in these states ({', '.join(LISTED)}); repeatable"
    ),
    q: str | None = Query(
        None,
        max_length=200,
        description=(
            "Only videos whose title (or, untitled, filename) or the words of one of their"
            " ready text tracks contain this, any case"
        ),
    ),
) -> VideoPage:
    """The caller's videos, newest first."""
    states: list[VideoState] | None = None
    if state:
        wanted = [part for value in state for part in value.split(",") if part]
        unknown = [s for s in wanted if s not in LISTED]
        if unknown:
            raise ApiError(400, "invalid_state", f"unknown state(s): {', '.join(unknown)}")
        states = [VideoState(s) for s in wanted]
    service = container.videos
    videos, total = await run_in_threadpool(
        lambda: service.listing(owner=user, states=states, limit=limit, offset=offset, search=q)
    )
    out = []
    for video in videos:
        tasks = await run_in_threadpool(service.tasks, video.id)
        out.append(video_details(request, video, tasks))
    return VideoPage(videos=out, total=total, limit=limit, offset=offset)


@router.patch("/{video_id}", response_model=VideoDetails, responses=ERRORS)
async def edit_video(
    video_id: str, body: MetadataPatch, request: Request, user: CurrentUser, container: ContainerDep
) -> VideoDetails:
    """Change only the fields sent (`title`, `description`, `tags`, `visibility`, `enhance`);
    a field not sent, or null, keeps its value; an unknown field is a 400. Answers the video."""
    await store_metadata(container, video_id, user, body)
    videos = container.videos
    video = await run_in_threadpool(videos.get, video_id, owner=user)
    tasks = await run_in_threadpool(videos.tasks, video_id)
    return video_details(request, video, tasks)


@router.delete("/{video_id}", response_model=Deleted, responses=ERRORS)
async def delete_video(video_id: str, user: CurrentUser, container: ContainerDep) -> Deleted:
    """Remove the record and every object it owns (source, renditions, segments, poster)."""
    await run_in_threadpool(lambda: container.direct.delete(video_id, owner=user))
    return Deleted(videoId=video_id)
