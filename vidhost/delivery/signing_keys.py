"""Signed playback (ADR 0050): the caller's signing keys, and owner-issued playback tokens.

- ``POST /api/signing-keys`` -> 201 ``{id, privateKey, createdAt}``: ``privateKey`` is the
  base64 of the PEM (as Mux returns it), shown once and never stored;
- ``GET /api/signing-keys``, ``GET /api/signing-keys/{id}``: without private parts;
- ``DELETE /api/signing-keys/{id}`` -> 204: every token signed with the key is revoked;
- ``POST /api/videos/{id}/playback-token`` -> ``{token, expiresAt, playbackUrl}``, signed by the
  server's own key (for owners who do not want to sign tokens themselves).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.access import Audience
from vidhost.core.models import SigningKey
from vidhost.delivery.playback_tokens import DEFAULT_TTL, MAX_TTL
from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.http.views import base_url

router = APIRouter(tags=["signed playback"])

AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token"},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH,
    404: {"description": "Unknown signing key (signing_key_not_found), or another user's"},
}


class SigningKeyOut(BaseModel):
    id: str
    createdAt: datetime


class CreatedSigningKey(SigningKeyOut):
    privateKey: str = Field(description="Base64 of the RSA private key's PEM; shown only once")


class SigningKeyList(BaseModel):
    signingKeys: list[SigningKeyOut]


class PlaybackTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Literal["v", "t", "s", "g"] = Field(
        default="v", description="v: video, t: thumbnails and poster, s: storyboard, g: previews"
    )
    ttl: int = Field(default=DEFAULT_TTL, ge=1, le=MAX_TTL, description="Seconds")


class PlaybackTokenOut(BaseModel):
    token: str
    expiresAt: datetime
    playbackUrl: str = Field(description="The manifest URL with ?token=")


def _out(key: SigningKey) -> SigningKeyOut:
    return SigningKeyOut(id=key.id, createdAt=key.created_at)


@router.post("/api/signing-keys", status_code=201, response_model=CreatedSigningKey, responses=AUTH)
async def create_signing_key(user: CurrentUser, container: ContainerDep) -> CreatedSigningKey:
    """A new RS256 (2048-bit) key: sign playback tokens for your videos with it."""
    key, private = await run_in_threadpool(container.playback.create_key, user)
    return CreatedSigningKey(id=key.id, createdAt=key.created_at, privateKey=private)


@router.get("/api/signing-keys", response_model=SigningKeyList, responses=AUTH)
async def list_signing_keys(user: CurrentUser, container: ContainerDep) -> SigningKeyList:
    keys = await run_in_threadpool(container.playback.list_keys, user)
    return SigningKeyList(signingKeys=[_out(k) for k in keys])


@router.get("/api/signing-keys/{key_id}", response_model=SigningKeyOut, responses=ERRORS)
async def get_signing_key(key_id: str, user: CurrentUser, container: ContainerDep) -> SigningKeyOut:
    key = await run_in_threadpool(lambda: container.playback.get_key(key_id, owner=user))
    return _out(key)


@router.delete(
    "/api/signing-keys/{key_id}", status_code=204, response_class=Response, responses=ERRORS
)
async def delete_signing_key(key_id: str, user: CurrentUser, container: ContainerDep) -> Response:
    """Delete the key: tokens signed with it answer 403 ``playback_token_revoked``."""
    await run_in_threadpool(lambda: container.playback.delete_key(key_id, owner=user))
    return Response(status_code=204)


@router.post(
    "/api/videos/{video_id}/playback-token",
    response_model=PlaybackTokenOut,
    responses={
        **AUTH,
        403: {"description": "The video belongs to another user"},
        404: {"description": "Unknown video"},
    },
)
async def playback_token(
    video_id: str,
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
    body: PlaybackTokenRequest | None = None,
) -> PlaybackTokenOut:
    """A playback token for one of your videos, signed by the server (default aud ``v``, 1 h)."""
    wanted = body or PlaybackTokenRequest()
    await run_in_threadpool(lambda: container.videos.get(video_id, owner=user))
    token, expires = await run_in_threadpool(
        container.playback.issue, video_id, Audience(wanted.audience), wanted.ttl
    )
    url = f"{base_url(request)}/stream/{video_id}/manifest?token={quote(token, safe='')}"
    return PlaybackTokenOut(token=token, expiresAt=expires, playbackUrl=url)
