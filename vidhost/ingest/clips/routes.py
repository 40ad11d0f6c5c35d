"""``POST /api/videos/{id}/clips``: a new video cut from one of the caller's ready videos
(ADR 0067). The answer is the clip (``created``), which then goes the way of every upload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.http.views import VideoDetails, video_details

router = APIRouter(tags=["videos"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "invalid_clip_range (end not after start), bad_time (past the end), "
        "clip_source_not_ready"
    },
    401: {"description": "Missing or invalid bearer token"},
    404: {"description": "Unknown video, or another user's (video_not_found)"},
}


class ClipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: float = Field(default=0.0, description="Seconds into the source (its first frame)")
    end: float | None = Field(
        default=None, description="Seconds into the source, after start; default: its end"
    )
    title: str | None = Field(default=None, max_length=500)
    visibility: str | None = Field(
        default=None,
        pattern="^(public|unlisted|private)$",
        description="Default: the source's visibility",
    )


@router.post(
    "/api/videos/{video_id}/clips",
    status_code=201,
    response_model=VideoDetails,
    responses=ERRORS,
)
async def create_clip(
    video_id: str, body: ClipRequest, request: Request, user: CurrentUser, container: ContainerDep
) -> VideoDetails:
    """A new video from ``start`` to ``end`` of a ready video, frame-accurate at both ends
    (times are rounded to the source's nearest frame boundary); it has its own lifecycle,
    webhooks, thumbnails and downloads, and outlives its source."""

    def run() -> VideoDetails:
        clip = container.clips.create(
            user,
            video_id,
            body.start,
            body.end,
            title=body.title,
            visibility=body.visibility,
        )
        return video_details(request, clip, container.videos.tasks(clip.id))

    return await run_in_threadpool(run)
