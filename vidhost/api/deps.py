"""Request dependencies: the container and the calling user.

Dependencies are ``async def``: none of them blocks, and FastAPI runs a plain ``def``
dependency in the threadpool (a thread hop, ~0.2 ms, per dependency per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from vidhost.auth.tokens import verify_token
from vidhost.domain.errors import Unauthorized
from vidhost.domain.services import VideoService
from vidhost.wiring import Container


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    return container_of(request)


async def get_videos(request: Request) -> VideoService:
    return container_of(request).videos


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_user(request: Request) -> str:
    container = container_of(request)
    if container.settings.auth == "none":
        return container.settings.anonymous_user
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Unauthorized", code="unauthorized")
    return verify_token(container.jwt_secret(), token)


MAX_OFFSET = 2**63 - 1
"""The largest row offset a database takes (SQLite INTEGER, PostgreSQL bigint)."""

ContainerDep = Annotated[Container, Depends(get_container)]
VideosDep = Annotated[VideoService, Depends(get_videos)]
CurrentUser = Annotated[str, Depends(current_user)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
