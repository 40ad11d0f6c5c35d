"""Videos: ``GET .../stream/{uid}``, ``GET .../stream`` (filters), ``DELETE``, and
``POST .../stream/{uid}/token`` (a signed-URL token from vidhost's signing keys, ADR 0050).

Another account's video answers 404, as Cloudflare answers a uid outside the account.
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.models import Video, present
from vidhost.http.deps import ContainerDep
from vidhost.http.views import base_url
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.views import FILTERS, video_object

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)

MAX_LIST = 1000
TOKEN_DEFAULT_TTL = 3600
TOKEN_MAX_TTL = 24 * 3600
Status = Literal["pendingupload", "downloading", "queued", "inprogress", "ready", "error"]


def owned(container: Container, uid: str, user: str) -> Video:
    """The account's video; 404 for an unknown, deleted or another account's uid."""
    video = container.videos.find(uid) if len(uid) <= 64 else None
    if not present(video) or video.owner != user:
        raise NotFound("video not found", code="video_not_found")
    return video


def render(request: Request, container: Container, video: Video) -> dict[str, Any]:
    return video_object(base_url(request), video, container.videos.tasks(video.id))


@router.get("")
async def list_videos(
    request: Request,
    user: Account,
    container: ContainerDep,
    status: Status | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    asc: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST,
    creator: Annotated[str | None, Query(max_length=64)] = None,
    include_counts: bool = False,
) -> Response:
    """The account's videos, newest first (``asc=true``: oldest first). ``search`` looks in
    ``meta.name``; ``start``/``after`` and ``end``/``before`` bound the creation time."""
    states = FILTERS[status] if status is not None else None
    if states == []:
        return success([])
    lower = _utc(start or after)
    upper = _utc(end or before)

    def fetch() -> tuple[list[dict[str, Any]], int]:
        videos, total = container.videos.listing(
            owner=user,
            states=states,
            limit=MAX_LIST if creator else limit,
            search=search,
            created_after=lower,
            created_before=upper,
            oldest_first=asc,
        )
        if creator is not None:  # kept in the options: filtered here, within the first page
            videos = [v for v in videos if _creator(v) == creator]
            total = len(videos)
            videos = videos[:limit]
        return [render(request, container, v) for v in videos], total

    result, total = await run_in_threadpool(fetch)
    if include_counts:
        return success(result, total=total, range=len(result))
    return success(result)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _creator(video: Video) -> str | None:
    extra = video.options.get("cloudflare")
    return extra.get("creator") if isinstance(extra, dict) else None


@router.get("/{uid}")
async def get_video(uid: str, request: Request, user: Account, container: ContainerDep) -> Response:
    """One video: state, progress, sizes, playback URLs."""
    return success(
        await run_in_threadpool(lambda: render(request, container, owned(container, uid, user)))
    )


@router.delete("/{uid}")
async def delete_video(uid: str, user: Account, container: ContainerDep) -> Response:
    """Delete the video and everything stored for it."""

    def delete() -> None:
        owned(container, uid, user)
        container.direct.delete(uid, owner=user)

    await run_in_threadpool(delete)
    return success(None)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=64)
    pem: str | None = Field(default=None, max_length=20_000)
    exp: int | None = None
    nbf: int | None = None
    accessRules: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    downloadable: bool = False


@router.post("/{uid}/token")
async def create_token(
    uid: str,
    user: Account,
    container: ContainerDep,
    body: TokenRequest | None = None,
) -> Response:
    """A token for the signed URLs ``/{token}/manifest/video.m3u8`` and
    ``/{token}/thumbnails/thumbnail.jpg``: RS256, ``kid``, ``sub`` = uid, ``exp`` (default
    1 h, at most 24 h), no ``aud`` (it opens the playlists, segments and images). Signed by
    the server key, or by the account's signing key ``id`` with its private ``pem``."""
    body = body or TokenRequest()
    if body.accessRules:
        raise InvalidInput("accessRules are not supported by this server")
    now = int(time.time())
    expires = body.exp if body.exp is not None else now + TOKEN_DEFAULT_TTL
    if not now < expires <= now + TOKEN_MAX_TTL:
        raise InvalidInput("exp must be in the future, at most 24 hours from now")
    if (body.id is None) != (body.pem is None):
        raise InvalidInput("id and pem go together")

    def issue() -> str:
        video = owned(container, uid, user)
        tokens = container.playback
        if body.id is not None and body.pem is not None:
            tokens.get_key(body.id, owner=user)  # the account's own, not deleted
            try:
                pem = base64.b64decode(body.pem, validate=True).decode()
                return tokens.token(
                    video.id, None, expires, not_before=body.nbf, key=(body.id, pem)
                )
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise InvalidInput("pem is not a base64 PEM private key") from None
        return tokens.token(video.id, None, expires, not_before=body.nbf)

    return success({"token": await run_in_threadpool(issue)})
