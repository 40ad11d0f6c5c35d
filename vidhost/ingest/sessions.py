"""The upload-session REST API, over the same uploads the tus endpoints write."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core import limits as L
from vidhost.core.upload_models import Upload
from vidhost.http.deps import CurrentUser
from vidhost.http.tus import upload_url
from vidhost.ingest.tus.routes import UploadsDep

router = APIRouter(prefix="/api/v1/videos/upload", tags=["upload sessions"])

ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Invalid request, or the video was refused (code says why)"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The upload belongs to another user"},
    404: {"description": "Unknown upload"},
    409: {"description": "The upload is incomplete, finished, or being written"},
    410: {"description": "The upload expired"},
    413: {"description": "file_size exceeds the maximum"},
}


class InitRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=L.SESSION_ID_CHARS)
    filename: str = Field(min_length=1, max_length=L.FILENAME_CHARS)
    file_size: int = Field(gt=0)
    duration_seconds: float | None = Field(default=None, ge=0)
    content_type: str | None = Field(default=None, max_length=L.CONTENT_TYPE_CHARS)


class InitResponse(BaseModel):
    upload_id: str
    upload_url: str = Field(description="tus upload URL (absolute); also a tus endpoint")
    expires_at: str
    chunk_size: int
    video_id: str | None = Field(description="The video this upload becomes")


class StatusResponse(BaseModel):
    upload_id: str
    offset: int
    size: int | None
    completed: bool
    expires_at: str
    percentage: float
    video_id: str | None


class CompleteRequest(BaseModel):
    upload_id: str = Field(min_length=1, max_length=64)


class CompleteResponse(BaseModel):
    upload_id: str
    video_id: str
    completed: bool
    status: str = Field(description="The video's state: uploaded | processing | ready ...")


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def status_of(upload: Upload) -> StatusResponse:
    size = upload.length
    percentage = 100.0 if size == 0 else round(upload.offset / size * 100, 2) if size else 0.0
    return StatusResponse(
        upload_id=upload.id,
        offset=upload.offset,
        size=size,
        completed=upload.complete,
        expires_at=iso(upload.expires_at),
        percentage=percentage,
        video_id=upload.video_id,
    )


@router.post("/init", response_model=InitResponse, responses=ERRORS)
async def init(
    body: InitRequest, request: Request, user: CurrentUser, uploads: UploadsDep
) -> InitResponse:
    """Open an upload session; write it with tus at ``upload_url``."""
    upload = await run_in_threadpool(
        lambda: uploads.init_session(
            owner=user,
            session_id=body.session_id,
            filename=body.filename,
            file_size=body.file_size,
            duration_seconds=body.duration_seconds,
            content_type=body.content_type,
        )
    )
    return InitResponse(
        upload_id=upload.id,
        upload_url=upload_url(request, upload.id),
        expires_at=iso(upload.expires_at),
        chunk_size=uploads.config.chunk_size,
        video_id=upload.video_id,
    )


@router.get("/{upload_id}/status", response_model=StatusResponse, responses=ERRORS)
async def status(upload_id: str, user: CurrentUser, uploads: UploadsDep) -> StatusResponse:
    """How many bytes are durably stored."""
    upload = await run_in_threadpool(uploads.get, upload_id, user, allow_expired=False)
    return status_of(upload)


@router.post("/complete", response_model=CompleteResponse, responses=ERRORS)
async def complete(
    body: CompleteRequest, user: CurrentUser, uploads: UploadsDep
) -> CompleteResponse:
    """Turn a complete upload into its video and start processing (idempotent)."""
    upload, video = await run_in_threadpool(uploads.complete, body.upload_id, user)
    return CompleteResponse(
        upload_id=upload.id, video_id=video.id, completed=True, status=video.state.value
    )


@router.delete("/{upload_id}", status_code=204, responses=ERRORS)
async def abort(upload_id: str, user: CurrentUser, uploads: UploadsDep) -> Response:
    """Abort: the upload, its bytes and its pending video are removed."""
    await run_in_threadpool(uploads.terminate, upload_id, user)
    return Response(status_code=204)
