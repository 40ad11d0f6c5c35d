"""``POST .../stream/{uid}``: edit a video's details (Cloudflare's "Edit video details").

Fields that take effect: ``meta`` (replaces the whole object; ``meta.name`` is the title),
``requireSignedURLs`` (visibility ``private`` / ``unlisted``, at once for every read),
``allowedOrigins`` (checked against a browser's ``Origin`` on playback), ``creator`` and
``thumbnailTimestampPct`` (the default thumbnail's time) and ``scheduledDeletion`` (``null``
lifts it; ADR 0094). A field left out keeps its value.
Fields this server does not implement (``maxDurationSeconds``,
``uploadExpiry``, ``watermark``) are refused with 400 ``unsupported_field`` naming them
when sent with a value, never echoed silently. Answers the video object."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import InvalidInput
from vidhost.core.limits import check_metadata, replace_user_metadata
from vidhost.core.models import EDITED
from vidhost.http.deps import ContainerDep
from vidhost.providers.cloudflare import scheduled_deletion
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.videos import owned, render
from vidhost.providers.cloudflare.views import OPTIONS, extras, visibility

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)

UNSUPPORTED = ("maxDurationSeconds", "uploadExpiry", "watermark")


class EditVideo(BaseModel):
    model_config = ConfigDict(extra="allow")  # the unsupported ones are named, not dropped

    meta: dict[str, Any] | None = None
    requireSignedURLs: bool | None = None
    allowedOrigins: list[Annotated[str, Field(max_length=255)]] | None = Field(
        default=None, max_length=100
    )
    creator: str | None = Field(default=None, max_length=64)
    thumbnailTimestampPct: float | None = Field(default=None, ge=0, le=1)
    scheduledDeletion: str | None = Field(default=None, max_length=64)


def refuse_unsupported(body: BaseModel, names: tuple[str, ...]) -> None:
    """400 ``unsupported_field`` naming each field of ``names`` sent with a value."""
    sent = [n for n in names if (body.model_extra or {}).get(n) is not None]
    if sent:
        raise InvalidInput(
            f"not supported by this server: {', '.join(sent)}", code="unsupported_field"
        )


@router.post("/{uid}")
async def edit_video(
    uid: str, body: EditVideo, request: Request, user: Account, container: ContainerDep
) -> Response:
    refuse_unsupported(body, UNSUPPORTED)
    sent = body.model_fields_set
    deletion = scheduled_deletion.parse(container, body.scheduledDeletion)

    def edit() -> dict[str, Any]:
        video = owned(container, uid, user)
        fields: dict[str, Any] = {}
        if "meta" in sent:
            meta = check_metadata(body.meta or {})
            fields["metadata"] = replace_user_metadata(video.metadata, meta)
            name = meta.get("name")
            fields["title"] = name[:500] if isinstance(name, str) and name else None
        if "scheduledDeletion" in sent:
            fields["delete_at"] = deletion
        if body.requireSignedURLs is not None:
            fields["visibility"] = visibility(body.requireSignedURLs)
        cloudflare = dict(extras(video))
        if body.allowedOrigins is not None:
            cloudflare["allowedOrigins"] = list(body.allowedOrigins)
        if "creator" in sent:
            cloudflare["creator"] = body.creator
        if body.thumbnailTimestampPct is not None:
            cloudflare["thumbnailTimestampPct"] = body.thumbnailTimestampPct
        if cloudflare != extras(video):
            fields["options"] = {**video.options, OPTIONS: cloudflare}
        if fields:
            container.videos.update(video.id, **fields)
            container.videos.notify(video, EDITED)  # webhooks, and the owner's open libraries
        return render(request, container, container.videos.get(video.id))

    return success(await run_in_threadpool(edit))
