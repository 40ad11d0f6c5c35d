"""``POST .../stream/clip``: a new video cut from one of the account's ready videos (ADR
0067), Cloudflare's "Clip videos given a start and end time".

``clippedFromVideoUID``, ``startTimeSeconds`` and ``endTimeSeconds`` pick the cut (frame
accurate: times are rounded to the source's nearest frame boundary); ``meta``,
``requireSignedURLs`` (default: the source's), ``allowedOrigins``, ``creator``,
``thumbnailTimestampPct``, ``maxDurationSeconds`` and ``scheduledDeletion`` (ADR 0094) apply
to the clip as to an upload. ``watermark`` is refused by name (``unsupported_field``). The
answer is the clip's video object (``clippedFrom`` names the source), ``pendingupload``
until its source is cut, then the states of any upload.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.limits import check_metadata
from vidhost.http.deps import ContainerDep
from vidhost.providers.cloudflare import scheduled_deletion
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.edits import refuse_unsupported
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.videos import render
from vidhost.providers.cloudflare.views import stream_options, visibility

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)

UNSUPPORTED = ("watermark",)


class ClipRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # the unsupported ones are named, not dropped

    clippedFromVideoUID: str = Field(max_length=64)
    startTimeSeconds: float
    endTimeSeconds: float
    meta: dict[str, Any] = Field(default_factory=dict)
    requireSignedURLs: bool | None = None
    allowedOrigins: list[Annotated[str, Field(max_length=255)]] = Field(
        default_factory=list, max_length=100
    )
    creator: str | None = Field(default=None, max_length=64)
    thumbnailTimestampPct: float | None = Field(default=None, ge=0, le=1)
    maxDurationSeconds: int | None = Field(default=None, ge=1, le=36000)
    scheduledDeletion: str | None = Field(default=None, max_length=64)


@router.post("/clip")
async def create_clip(
    body: ClipRequest, request: Request, user: Account, container: ContainerDep
) -> Response:
    refuse_unsupported(body, UNSUPPORTED)
    meta = check_metadata(body.meta)
    name = meta.get("name")
    title = name[:500] if isinstance(name, str) and name else None
    options = stream_options(
        max_duration_seconds=body.maxDurationSeconds,
        creator=body.creator,
        allowed_origins=body.allowedOrigins,
        thumbnail_pct=body.thumbnailTimestampPct,
    )
    signed = body.requireSignedURLs
    deletion = scheduled_deletion.parse(container, body.scheduledDeletion)

    def create() -> dict[str, Any]:
        clip = container.clips.create(
            user,
            body.clippedFromVideoUID,
            body.startTimeSeconds,
            body.endTimeSeconds,
            title=title,
            visibility=visibility(signed) if signed is not None else None,
            metadata=meta,
            options=options,
        )
        if deletion is not None:
            container.videos.update(clip.id, delete_at=deletion)
        return render(request, container, container.videos.get(clip.id))

    return success(await run_in_threadpool(create))
