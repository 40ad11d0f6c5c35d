"""``POST /upload`` (upload API and processing clients alike): one multipart request, field
``file``; optional fields ``title``, ``description``, ``tags`` (comma-separated) and
``visibility`` set the video's details as ``PUT .../metadata`` does (issue 24)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from vidhost.core import limits as L
from vidhost.core.caption_generation import speech_language
from vidhost.core.errors import CodedError
from vidhost.core.limits import CLIENT_ID_CHARS
from vidhost.core.quality import quality_options
from vidhost.http.body_limit import StreamedBody
from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.http.errors import ApiError
from vidhost.http.multipart import Form, read_form
from vidhost.ingest.presigned.routes import MetadataRequest
from vidhost.processing.routes import enhance_options

router = APIRouter(tags=["upload"])


class UploadResponse(BaseModel):
    videoId: str
    file_id: str
    message: str = "Video uploaded successfully"


UPLOAD_DOC: dict[int | str, dict[str, Any]] = {
    400: {"description": "No file, an empty file, or not a video (decided by probing)"},
    401: {"description": "Missing or invalid bearer token (auth=jwt)"},
    413: {"description": "Larger than VIDHOST_MAX_UPLOAD_BYTES"},
    500: {"description": "Storage failure"},
}

FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "client_id": {"type": "string"},
                        "title": {"type": "string", "maxLength": L.TITLE_CHARS},
                        "description": {"type": "string", "maxLength": L.DESCRIPTION_CHARS},
                        "tags": {"type": "string", "description": "Comma-separated tags"},
                        "visibility": {
                            "type": "string",
                            "enum": ["public", "unlisted", "private"],
                            "default": "public",
                        },
                        "enhance": {
                            "type": "string",
                            "description": "Enhancement preset, e.g. default or "
                            "default:sharpen=1.0; none opts out",
                        },
                        "generateCaptions": {
                            "type": "string",
                            "description": "Generate captions from the speech once the video "
                            "is ready: a language (en, fr, ...) or auto (ADR 0069)",
                        },
                    },
                }
            }
        },
    }
}


DETAILS = ("title", "description", "tags", "visibility")


def details(form: Form) -> dict[str, Any]:
    """The video's details the form gives (an empty field gives none), checked as ``PUT
    .../metadata`` checks them: 400 ``invalid_request`` naming the field otherwise."""
    given: dict[str, Any] = {k: form.fields[k] for k in DETAILS if form.fields.get(k, "").strip()}
    if "tags" in given:
        given["tags"] = [t.strip() for t in given["tags"].split(",") if t.strip()]
    try:
        return MetadataRequest.model_validate(given).metadata().fields()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ApiError(400, "invalid_request", f"{where}: {first['msg']}") from None


@router.post(
    "/upload",
    status_code=201,
    response_model=UploadResponse,
    responses=UPLOAD_DOC,
    openapi_extra=FORM_SCHEMA,
    dependencies=[StreamedBody],
)
async def upload(request: Request, user: CurrentUser, container: ContainerDep) -> JSONResponse:
    """Upload a video; the body streams to disk, is probed, stored, and processing starts."""
    settings = container.settings
    form = await read_form(
        request, file_field="file", tmp_dir=settings.tmp_dir, max_bytes=settings.max_upload_bytes
    )
    file = form.file
    if file is None:
        raise ApiError(400, "no_file", "no file provided (multipart field 'file')")
    if file.size == 0:
        form.discard()
        raise ApiError(400, "empty_file", "the uploaded file is empty")
    try:
        if len(form.fields.get("client_id", "")) > CLIENT_ID_CHARS:
            raise ApiError(400, "invalid_client_id", f"client_id is over {CLIENT_ID_CHARS} chars")
        options: dict[str, str] = enhance_options(form.fields.get("enhance"), mode=settings.enhance)
        tier = form.fields.get("video_quality") or settings.video_quality
        options |= quality_options(tier)
        fields = details(form)
        captions = form.fields.get("generateCaptions") or None
        if captions is not None:
            speech_language(captions)  # 400 unsupported_language before anything is stored
    except (ApiError, CodedError):
        form.discard()
        raise
    video = await run_in_threadpool(
        lambda: container.videos.upload_file(
            owner=user,
            path=file.path,
            filename=file.filename,
            content_type=file.content_type,
            client_id=form.fields.get("client_id") or None,
            options=options,
            details=fields,
        )
    )
    if captions is not None:
        language = captions
        await run_in_threadpool(lambda: container.caption_generation.request(video, language))
    body = UploadResponse(videoId=video.id, file_id=video.id)
    return JSONResponse(body.model_dump(), status_code=201)
