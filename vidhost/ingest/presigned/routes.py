"""Direct-to-storage uploads: ``init`` + ``metadata`` (the direct-upload flow), ``upload-url``.

The client gets a pre-signed URL scoped to a backend-controlled key and sends the bytes
straight to storage (S3, or vidhost's own signed-PUT route with local storage). Processing
starts by itself once the bytes are complete; ``POST /api/videos/{id}/complete`` is
optional. Files above ``VIDHOST_MULTIPART_THRESHOLD`` use an S3 multipart upload with
pre-signed part URLs (create with the upload URL, sign more parts, complete, abort).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core import limits as L
from vidhost.core.ports import PresignedRequest
from vidhost.core.quality import quality_options
from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.http.views import VideoStatus, base_url, video_status
from vidhost.ingest.presigned.service import Metadata, Ticket
from vidhost.processing.routes import enhance_options, validate_enhance_option

router = APIRouter(prefix="/api/videos", tags=["direct uploads"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid request (code names the problem)"},
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user"},
    404: {"description": "Unknown video"},
}


def _absolute(request: Request, url: str) -> str:
    return base_url(request) + url if url.startswith("/") else url


# --- models -------------------------------------------------------------------------------


class PartOut(BaseModel):
    partNumber: int
    url: str
    method: str = "PUT"
    headers: dict[str, str]


class MultipartOut(BaseModel):
    uploadId: str
    partSize: int
    partCount: int
    parts: list[PartOut]
    completeUrl: str
    abortUrl: str


METADATA_DOC = (
    f"Free-form JSON object, copied into webhooks: at most {L.METADATA_KEYS} keys and "
    f"{L.METADATA_BYTES} bytes as JSON (`too_many_metadata_keys`, `metadata_too_large`)"
)
ENHANCE_DOC = "Enhancement preset (`name[:key=value,...]`) or `none`; see docs/processing.md"
QUALITY_DOC = (
    "Quality tier: `basic` (fixed ladder), `plus` (content-aware, the default) or `premium` "
    "(content-aware, slower preset, higher target); ADR 0046"
)


class InitRequest(BaseModel):
    """A direct-upload client sends ``{}``; the other fields let a client announce its file."""

    filename: str | None = Field(default=None, max_length=L.FILENAME_CHARS)
    fileSize: int | None = Field(default=None, ge=0)
    mimeType: str | None = Field(default=None, max_length=L.CONTENT_TYPE_CHARS)
    metadata: dict[str, Any] = Field(default_factory=dict, description=METADATA_DOC)
    multipart: bool | None = None
    enhance: str | None = Field(default=None, max_length=200, description=ENHANCE_DOC)
    video_quality: str | None = Field(default=None, max_length=20, description=QUALITY_DOC)


class InitResponse(BaseModel):
    videoId: str
    uploadUrl: str
    method: str = Field(description="HTTP method to send the bytes with (PUT)")
    headers: dict[str, str] = Field(description="Headers the upload request must carry")
    expiresAt: datetime
    multipart: MultipartOut | None = None


class UploadUrlRequest(BaseModel):
    filename: str = Field(max_length=L.FILENAME_CHARS)
    fileSize: int = Field(ge=0)
    mimeType: str = Field(max_length=L.CONTENT_TYPE_CHARS)
    metadata: dict[str, Any] = Field(default_factory=dict, description=METADATA_DOC)
    enhance: str | None = Field(default=None, max_length=200, description=ENHANCE_DOC)
    video_quality: str | None = Field(default=None, max_length=20, description=QUALITY_DOC)


class UploadUrlResponse(InitResponse):
    provider: str = "vidhost"


Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=L.TAG_CHARS)]


KEPT = "Left out (or null): keeps its value"


class MetadataRequest(BaseModel):
    """``PUT .../metadata``: every field is optional, and one left out keeps its value (a
    new video starts untitled, no description, no tags, ``public``)."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = Field(
        default=None, min_length=1, max_length=L.TITLE_CHARS, description=KEPT
    )
    description: str | None = Field(
        default=None, max_length=L.DESCRIPTION_CHARS, description=f'{KEPT}; `""` clears it'
    )
    tags: list[Tag] | None = Field(
        default=None, max_length=L.TAGS, description=f"{KEPT}; `[]` clears them"
    )
    visibility: Literal["public", "unlisted", "private"] | None = Field(
        default=None, description=KEPT
    )
    enhance: str | None = Field(default=None, max_length=200, description=ENHANCE_DOC)

    def metadata(self) -> Metadata:
        return Metadata(
            title=self.title,
            description=self.description,
            tags=None if self.tags is None else list(self.tags),
            visibility=self.visibility,
        )


class MetadataPatch(MetadataRequest):
    """``PATCH``: the same fields; one not sent keeps its value, an unknown one is refused."""

    model_config = ConfigDict(extra="forbid")


class MessageResponse(BaseModel):
    message: str


class SignPartsRequest(BaseModel):
    partNumbers: list[int] = Field(min_length=1, max_length=1000)


class SignPartsResponse(BaseModel):
    parts: list[PartOut]


class CompletedPart(BaseModel):
    partNumber: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteMultipartRequest(BaseModel):
    parts: list[CompletedPart] = Field(min_length=1, max_length=10_000)


# --- routes -------------------------------------------------------------------------------


def _part(request: Request, n: int, req: PresignedRequest) -> PartOut:
    return PartOut(partNumber=n, url=_absolute(request, req.url), headers=req.headers)


def _ticket_fields(request: Request, ticket: Ticket) -> dict[str, Any]:
    multipart = None
    if ticket.multipart is not None:
        plan = ticket.multipart
        base = f"{base_url(request)}/api/videos/{ticket.video.id}/multipart"
        multipart = MultipartOut(
            uploadId=plan.upload_id,
            partSize=plan.part_size,
            partCount=len(plan.parts),
            parts=[_part(request, n, r) for n, r in plan.parts],
            completeUrl=f"{base}/complete",
            abortUrl=base,
        )
    return {
        "videoId": ticket.video.id,
        "uploadUrl": _absolute(request, ticket.request.url),
        "method": ticket.request.method,
        "headers": ticket.request.headers,
        "expiresAt": ticket.request.expires_at,
        "multipart": multipart,
    }


async def _issue(
    request: Request,
    container: Container,
    user: str,
    body: InitRequest | UploadUrlRequest,
    use_multipart: bool | None,
) -> dict[str, Any]:
    """Create the record and its pre-signed upload (``init`` and ``upload-url``)."""
    options = enhance_options(body.enhance, mode=container.settings.enhance)
    options |= quality_options(body.video_quality or container.settings.video_quality)
    ticket = await run_in_threadpool(
        lambda: container.direct.init(
            owner=user,
            filename=body.filename,
            content_type=body.mimeType,
            size=body.fileSize,
            metadata=body.metadata,
            use_multipart=use_multipart,
            options=options,
        )
    )
    return _ticket_fields(request, ticket)


@router.post("/init", response_model=InitResponse, responses=ERRORS)
async def init_upload(
    request: Request, user: CurrentUser, container: ContainerDep, body: InitRequest | None = None
) -> InitResponse:
    """Create the empty record and a pre-signed PUT URL scoped to its key."""
    body = body or InitRequest()
    return InitResponse(**await _issue(request, container, user, body, body.multipart))


@router.post("/upload-url", response_model=UploadUrlResponse, responses=ERRORS)
async def upload_url(
    body: UploadUrlRequest, request: Request, user: CurrentUser, container: ContainerDep
) -> UploadUrlResponse:
    """``File too large`` / ``Invalid file type`` are 400s; size is enforced."""
    return UploadUrlResponse(**await _issue(request, container, user, body, None))


async def store_metadata(
    container: Container, video_id: str, user: str, body: MetadataRequest
) -> None:
    """Write the fields ``body`` gives (``PUT``/``PATCH`` metadata, ``PATCH`` the video)."""
    direct = container.direct
    meta = body.metadata()
    enhance = validate_enhance_option(body.enhance, mode=container.settings.enhance)
    await run_in_threadpool(
        lambda: direct.set_metadata(video_id, owner=user, metadata=meta, enhance=enhance)
    )


@router.put("/{video_id}/metadata", response_model=MessageResponse, responses=ERRORS)
async def put_metadata(
    video_id: str, body: MetadataRequest, user: CurrentUser, container: ContainerDep
) -> MessageResponse:
    """Title, description, tags, visibility: accepted before, during or after the upload.

    A field left out (or null) keeps its value: `{"visibility": "public"}` changes only the
    visibility. Unknown fields are ignored (the direct-upload contract)."""
    await store_metadata(container, video_id, user, body)
    return MessageResponse(message="Metadata accepted")


@router.patch("/{video_id}/metadata", response_model=MessageResponse, responses=ERRORS)
async def patch_metadata(
    video_id: str, body: MetadataPatch, user: CurrentUser, container: ContainerDep
) -> MessageResponse:
    """Change only the fields sent (as `PATCH /api/videos/{id}`); an unknown field is a 400."""
    await store_metadata(container, video_id, user, body)
    return MessageResponse(message="Metadata accepted")


@router.post("/{video_id}/complete", response_model=VideoStatus, responses=ERRORS)
async def complete(
    video_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> VideoStatus:
    """Optional: tell vidhost the bytes are in storage (it also notices by itself)."""
    direct = container.direct
    await run_in_threadpool(container.videos.get, video_id, owner=user)
    video = await run_in_threadpool(direct.finish, video_id)
    tasks = await run_in_threadpool(container.videos.tasks, video_id)
    return video_status(request, video, tasks)


@router.post("/{video_id}/multipart/parts", response_model=SignPartsResponse, responses=ERRORS)
async def sign_parts(
    video_id: str,
    body: SignPartsRequest,
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
) -> SignPartsResponse:
    """Fresh pre-signed URLs for parts of the multipart upload (e.g. after expiry)."""
    direct = container.direct
    parts = await run_in_threadpool(
        lambda: direct.sign_parts(video_id, owner=user, part_numbers=body.partNumbers)
    )
    return SignPartsResponse(parts=[_part(request, n, r) for n, r in parts])


@router.post("/{video_id}/multipart/complete", response_model=VideoStatus, responses=ERRORS)
async def complete_multipart(
    video_id: str,
    body: CompleteMultipartRequest,
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
) -> VideoStatus:
    """Assemble the uploaded parts (``ETag`` of each part's PUT); processing starts."""
    direct = container.direct
    parts = [(p.partNumber, p.etag) for p in body.parts]
    video = await run_in_threadpool(
        lambda: direct.complete_multipart(video_id, owner=user, parts=parts)
    )
    tasks = await run_in_threadpool(container.videos.tasks, video_id)
    return video_status(request, video, tasks)


@router.delete("/{video_id}/multipart", status_code=204, responses=ERRORS)
async def abort_multipart(video_id: str, user: CurrentUser, container: ContainerDep) -> Response:
    """Abort the multipart upload; its parts are discarded."""
    direct = container.direct
    await run_in_threadpool(lambda: direct.abort_multipart(video_id, owner=user))
    return Response(status_code=204)
