"""Cloudflare's ways in: direct creator uploads (a form POST) and tus, on vidhost's own.

- ``POST .../stream/direct_upload``: a pending video (as vidhost's direct uploads: expiry,
  sweeper) and an ``uploadURL`` that takes one ``multipart/form-data`` POST (field
  ``file``), signed with the server's URL signer. The POST claims the video (a second one
  gets 409), streams the file to a temp file and hands it to ``VideoService.accept_source``;
  ``maxDurationSeconds`` is checked there, on the probe.
- ``POST .../stream`` with tus headers: an upload of vidhost's tus server (the same
  ``UploadService``, store, locks and completion hook), answered with ``Location`` (a signed
  URL of that upload, usable without the API token: ``?direct_user=true`` is the same) and
  ``stream-media-id``. The URL's HEAD/PATCH/DELETE are vidhost's tus routes' own handlers
  (``vidhost.http.tus``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import Forbidden, InvalidInput
from vidhost.core.layout import source_key
from vidhost.core.models import utcnow
from vidhost.http import tus
from vidhost.http.body_limit import StreamedBody
from vidhost.http.deps import ContainerDep
from vidhost.http.multipart import read_form
from vidhost.http.tus_metadata import parse_metadata
from vidhost.http.tus_middleware import TUS_VERSION
from vidhost.http.views import base_url
from vidhost.providers.cloudflare import scheduled_deletion
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.edits import refuse_unsupported
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.views import stream_options, visibility

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)
public = APIRouter(tags=["cloudflare stream"], route_class=CloudflareRoute)
tus_router = APIRouter(prefix="/cloudflare/tus", tags=["cloudflare stream"])

UPLOAD_PATH = "/cloudflare/upload/"
FORM = "FORM"
TUS = "TUS"
DEFAULT_EXPIRY = timedelta(minutes=30)
MAX_EXPIRY = timedelta(hours=6, minutes=5)
"""Cloudflare allows up to 6 hours; a client computing "now + 6 h" arrives a little late."""
MAX_DURATION = 36000


class DirectUploadRequest(BaseModel):
    # as Cloudflare: unknown fields are ignored, but the ones vidhost does not implement are
    # refused by name (``edits.UNSUPPORTED``), never dropped silently
    model_config = ConfigDict(extra="allow")

    maxDurationSeconds: int = Field(ge=1, le=MAX_DURATION)
    expiry: datetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    requireSignedURLs: bool = False
    allowedOrigins: list[Annotated[str, Field(max_length=255)]] = Field(
        default_factory=list, max_length=100
    )
    creator: str | None = Field(default=None, max_length=64)
    thumbnailTimestampPct: float | None = Field(default=None, ge=0, le=1)
    scheduledDeletion: str | None = Field(default=None, max_length=64)


def _expiry(value: datetime | None) -> datetime:
    now = utcnow()
    if value is None:
        return now + DEFAULT_EXPIRY
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value <= now or value > now + MAX_EXPIRY:
        raise InvalidInput("expiry must be in the future, at most 6 hours from now")
    return value


def _name(meta: dict[str, Any]) -> str | None:
    name = meta.get("name")
    return name[:500] if isinstance(name, str) and name else None


@router.post("/direct_upload")
async def create_direct_upload(
    body: DirectUploadRequest,
    request: Request,
    user: Account,
    container: ContainerDep,
    upload_creator: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    """A one-time form-upload URL for an end user; the video is pending until then."""
    refuse_unsupported(body, ("watermark",))
    expires = _expiry(body.expiry)
    deletion = scheduled_deletion.parse(container, body.scheduledDeletion)
    options = stream_options(
        max_duration_seconds=body.maxDurationSeconds,
        creator=body.creator or upload_creator,
        allowed_origins=body.allowedOrigins,
        thumbnail_pct=body.thumbnailTimestampPct,
    )

    def create() -> str:
        video = container.videos.create_pending(
            owner=user,
            filename=_name(body.meta),
            metadata=body.meta,
            options=options,
            visibility=visibility(body.requireSignedURLs),
            title=_name(body.meta),
        )
        container.videos.update(video.id, upload_expires_at=expires, delete_at=deletion)
        return video.id

    uid = await run_in_threadpool(create)
    stamp = int(expires.timestamp())
    cap = container.settings.max_upload_bytes
    sig = container.url_signer.signature(source_key(uid), stamp, cap, FORM)
    url = f"{base_url(request)}{UPLOAD_PATH}{uid}?expires={stamp}&max={cap}&sig={sig}"
    result = {
        "uid": uid,
        "uploadURL": url,
        "watermark": None,
        "expiry": expires.isoformat().replace("+00:00", "Z"),
        "scheduledDeletion": deletion.isoformat().replace("+00:00", "Z") if deletion else None,
    }
    return success(result)


@public.post(UPLOAD_PATH + "{uid}", dependencies=[StreamedBody])
async def form_upload(
    uid: str,
    request: Request,
    container: ContainerDep,
    expires: str = Query("", max_length=20),
    max_size: str = Query("", alias="max", max_length=20),
    sig: str = Query("", max_length=128),
) -> Response:
    """The ``uploadURL``: one ``multipart/form-data`` POST, field ``file``."""
    cap = container.url_signer.verify(
        source_key(uid) if len(uid) <= 64 else "-",
        expires,
        max_size,
        sig,
        now=time.time(),
        method=FORM,
    )
    direct = container.direct
    video = await run_in_threadpool(direct.begin_upload, uid)
    accepted = False
    try:
        settings = container.settings
        form = await read_form(request, file_field="file", tmp_dir=settings.tmp_dir, max_bytes=cap)
        if form.file is None:
            raise InvalidInput("no file provided (multipart field 'file')", code="no_file")
        path = form.file.path
        video = await run_in_threadpool(lambda: direct.finish(uid, file=path))
        accepted = True
    finally:
        if not accepted:  # hand the claim back for a retry; a no-op once refused (failed)
            await run_in_threadpool(direct.release_upload, video)
    return success(None)


# --- tus ------------------------------------------------------------------------------------


def _tus_url(request: Request, container: Container, upload_id: str, expires: int) -> str:
    sig = container.url_signer.signature(f"uploads/{upload_id}", expires, 0, TUS)
    return f"{base_url(request)}/cloudflare/tus/{upload_id}?expires={expires}&sig={sig}"


def _flag(value: str | None) -> bool:
    """``requiresignedurls`` is a flag: present (any value but ``false``) means true."""
    return value is not None and value.strip().lower() not in ("false", "0")


def _int(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        number = int(float(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a number", code="invalid_metadata") from None
    if not 1 <= number <= MAX_DURATION:
        raise InvalidInput(f"{name} must be 1-{MAX_DURATION}", code="invalid_metadata")
    return number


@router.post("", status_code=201, dependencies=[Depends(tus.require_tus_version)])
async def create_tus_upload(
    request: Request,
    user: Account,
    container: ContainerDep,
    direct_user: bool = False,
    upload_creator: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    """tus creation: ``Upload-Length`` and ``Upload-Metadata`` (``name``,
    ``requiresignedurls``, ``maxdurationseconds``, ``allowedorigins``,
    ``thumbnailtimestamppct``, ``scheduleddeletion``). Bytes follow with PATCH on
    ``Location``."""
    length = tus.int_header(request, "upload-length")
    if length is None:
        raise InvalidInput("Upload-Length is required", code="invalid_header")
    meta = {k.lower(): v for k, v in parse_metadata(request.headers.get("upload-metadata")).items()}
    name = meta.get("name") or None
    pct = meta.get("thumbnailtimestamppct")
    try:
        thumbnail_pct = float(pct) if pct else None
    except ValueError:
        raise InvalidInput(
            "thumbnailtimestamppct must be a number", code="invalid_metadata"
        ) from None
    origins = [o.strip() for o in (meta.get("allowedorigins") or "").split(",") if o.strip()]
    options = stream_options(
        max_duration_seconds=_int(meta.get("maxdurationseconds"), "maxdurationseconds"),
        creator=upload_creator,
        allowed_origins=origins,
        thumbnail_pct=thumbnail_pct,
    )
    deletion = scheduled_deletion.parse(
        container, meta.get("scheduleddeletion") or None, field="scheduleddeletion"
    )
    uploads = container.uploads
    tus_meta = {"filename": name} if name else {}

    def create() -> tuple[str, str, int]:
        upload = uploads.create(owner=user, length=length, metadata=tus_meta)
        assert upload.video_id is not None
        container.videos.update(
            upload.video_id,
            metadata={"name": name} if name else {},
            options=options,
            visibility=visibility(_flag(meta.get("requiresignedurls"))),
            title=name,
            delete_at=deletion,
        )
        return upload.id, upload.video_id, int(upload.expires_at.timestamp())

    upload_id, video_id, expires = await run_in_threadpool(create)
    headers = {
        "Location": _tus_url(request, container, upload_id, expires),
        "stream-media-id": video_id,
        "Tus-Resumable": TUS_VERSION,
    }
    return Response(status_code=201, headers=headers)


def tus_owner(
    request: Request,
    upload_id: str,
    expires: Annotated[str, Query(max_length=20)] = "",
    sig: Annotated[str, Query(max_length=128)] = "",
) -> str:
    """The owner of the upload a signed tus URL names (the URL is the credential)."""
    container: Container = request.app.state.container
    container.url_signer.verify(
        f"uploads/{upload_id}" if len(upload_id) <= 64 else "-",
        expires,
        "0",
        sig,
        now=time.time(),
        method=TUS,
    )
    owner = container.uploads.owner_of(upload_id)
    if owner is None:
        raise Forbidden("invalid upload URL", code="invalid_signature")
    return owner


Owner = Annotated[str, Depends(tus_owner)]


@tus_router.options("/{upload_id}", status_code=204)
async def tus_options(container: ContainerDep) -> Response:
    return await tus.options(container.uploads)


@tus_router.head("/{upload_id}", dependencies=tus.Versioned)
async def tus_head(
    upload_id: str, request: Request, owner: Owner, container: ContainerDep
) -> Response:
    return await tus.head(upload_id, request, owner, container.uploads)


@tus_router.patch("/{upload_id}", status_code=204, dependencies=[*tus.Versioned, StreamedBody])
async def tus_patch(
    upload_id: str, request: Request, owner: Owner, container: ContainerDep
) -> Response:
    return await tus.patch(upload_id, request, owner, container.uploads)


@tus_router.delete("/{upload_id}", status_code=204, dependencies=tus.Versioned)
async def tus_terminate(upload_id: str, owner: Owner, container: ContainerDep) -> Response:
    return await tus.terminate(upload_id, owner, container.uploads)
