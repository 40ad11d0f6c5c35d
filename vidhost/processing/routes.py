"""Processing status endpoints (metadata extraction, enhancement), the analysis JSON and the
enhanced file.

- ``GET /internal/metadata-extraction-status/{file_id}`` and
  ``GET /internal/video-enhancement-status/{file_id}``: ``{status, progress, error,
  last_updated}`` from the task row. The owner only (bearer token, or ``?token=`` a playback
  token with aud ``v``): 401 without credentials, 403 ``access_denied`` for another user's video.
  404 ``video_not_found`` for an unknown id; 404 ``task_not_found`` for a video that has no such
  task (not enhanced).
- ``GET /api/videos/{id}/analysis``: the stored metadata JSON (409 ``not_ready`` until done).
- ``GET /api/videos/{id}/enhanced``: the enhanced file, with Range support.

All of them are owner surfaces (``vidhost.core.access``): the owner, or a playback token
with aud ``v`` for the video, whatever its visibility.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Audience, Viewer
from vidhost.core.errors import NotFound, NotReady
from vidhost.core.lifecycle import TaskKind, TaskStatus
from vidhost.core.models import Task
from vidhost.core.planner import NO_ENHANCEMENT, enhanced_extension, enhanced_key, metadata_key
from vidhost.core.videos import VideoService
from vidhost.http.deps import ContainerDep, ViewerDep
from vidhost.http.errors import ApiError
from vidhost.http.openapi import binary
from vidhost.http.ranges import object_response
from vidhost.http.reads import VARY, readable
from vidhost.media.enhance import EnhanceSpecError, parse_spec

router = APIRouter(tags=["processing"])

_MEDIA_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska"}


class TaskStatusOut(BaseModel):
    status: str = Field(description="pending | processing | completed | failed")
    progress: int = Field(description="0-100")
    error: str | None
    last_updated: datetime


STATUS_DOC: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token and no playback token"},
    403: {"description": "Another user's file (access_denied), or a bad playback token"},
    404: {"description": "Unknown file_id (video_not_found) or no such task (task_not_found)"},
}


def task_status(
    container: Container, viewer: Viewer, video_id: str, kind: TaskKind
) -> TaskStatusOut:
    readable(container, video_id, viewer, Audience.VIDEO, owner_only=True)
    task = container.videos.task(video_id, kind)
    if task is None:
        raise NotFound(f"no {kind.value} task for this file", code="task_not_found")
    return status_out(task)


def status_out(task: Task) -> TaskStatusOut:
    done = task.status is TaskStatus.COMPLETED
    return TaskStatusOut(
        status=task.status.value,
        progress=100 if done else min(99, int(task.progress)),
        error=task.error,
        last_updated=task.updated_at,
    )


@router.get(
    "/internal/metadata-extraction-status/{file_id}",
    response_model=TaskStatusOut,
    responses=STATUS_DOC,
)
async def metadata_extraction_status(
    file_id: str, container: ContainerDep, viewer: ViewerDep
) -> TaskStatusOut:
    return await run_in_threadpool(
        task_status, container, viewer, file_id, TaskKind.METADATA_EXTRACTION
    )


@router.get(
    "/internal/video-enhancement-status/{file_id}",
    response_model=TaskStatusOut,
    responses=STATUS_DOC,
)
async def video_enhancement_status(
    file_id: str, container: ContainerDep, viewer: ViewerDep
) -> TaskStatusOut:
    return await run_in_threadpool(
        task_status, container, viewer, file_id, TaskKind.VIDEO_ENHANCEMENT
    )


def _require_done(videos: VideoService, video_id: str, kind: TaskKind) -> None:
    task = videos.task(video_id, kind)
    if task is None:
        raise NotFound(f"no {kind.value} task for this video", code="task_not_found")
    if task.status is not TaskStatus.COMPLETED:
        raise NotReady(f"{kind.value} is {task.status.value}")


OWNED_DOC: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token (and no playback token)"},
    403: {"description": "Another user's video (access_denied), or a bad playback token"},
    404: {"description": "Unknown video, or no such task"},
    409: {"description": "The task has not completed (not_ready)"},
}


@router.get(
    "/api/videos/{video_id}/analysis",
    responses={
        # Range works here too, but a range of JSON is not JSON: not documented.
        **binary("application/json", description="The metadata document", ranges=False),
        **OWNED_DOC,
    },
)
async def analysis(
    video_id: str, request: Request, viewer: ViewerDep, container: ContainerDep
) -> Response:
    """The metadata document (resolution, fps, colour profile, full probe)."""
    videos = container.videos
    await run_in_threadpool(readable, container, video_id, viewer, Audience.VIDEO, owner_only=True)
    await run_in_threadpool(_require_done, videos, video_id, TaskKind.METADATA_EXTRACTION)
    try:
        info = await run_in_threadpool(container.storage.stat, metadata_key(video_id))
    except FileNotFoundError:
        raise NotFound("analysis not found", code="analysis_not_found") from None
    return object_response(
        request,
        container.storage,
        info,
        media_type="application/json",
        cache_control="private, max-age=60",
        vary=VARY,
    )


@router.api_route(
    "/api/videos/{video_id}/enhanced",
    methods=["GET", "HEAD"],
    responses={**binary(*_MEDIA_TYPES.values(), description="The enhanced file"), **OWNED_DOC},
)
async def enhanced(
    video_id: str, request: Request, viewer: ViewerDep, container: ContainerDep
) -> Response:
    """Download the enhanced file (``enhanced_{id}.{ext}``); honours Range."""
    videos = container.videos
    video, _ = await run_in_threadpool(
        readable, container, video_id, viewer, Audience.VIDEO, owner_only=True
    )
    await run_in_threadpool(_require_done, videos, video_id, TaskKind.VIDEO_ENHANCEMENT)
    try:
        info = await run_in_threadpool(container.storage.stat, enhanced_key(video))
    except FileNotFoundError:
        raise NotFound("enhanced file not found", code="enhanced_not_found") from None
    ext = enhanced_extension(video.filename)
    response = object_response(
        request,
        container.storage,
        info,
        media_type=_MEDIA_TYPES[ext],
        cache_control="private, max-age=3600",
        vary=VARY,
    )
    response.headers["Content-Disposition"] = f'attachment; filename="enhanced_{video.id}.{ext}"'
    return response


def validate_enhance_option(value: str | None, *, mode: str) -> str | None:
    """The ``enhance`` option of an upload: a preset spec, ``none``, or absent.

    400 ``unknown_preset`` / ``invalid_enhance_option`` for a bad spec, 400
    ``enhancement_disabled`` when a preset is asked for while ``VIDHOST_ENHANCE=off``.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.lower() == NO_ENHANCEMENT:
        return NO_ENHANCEMENT
    try:
        parse_spec(value)
    except EnhanceSpecError as exc:
        raise ApiError(400, exc.code, exc.message) from None
    if mode == "off":
        raise ApiError(400, "enhancement_disabled", "enhancement is disabled on this server")
    return value


def enhance_options(value: str | None, *, mode: str) -> dict[str, str]:
    """A video's processing options from its ``enhance`` field (validated as above)."""
    checked = validate_enhance_option(value, mode=mode)
    return {"enhance": checked} if checked else {}
