"""Request dependencies: the container and the calling user.

Dependencies are ``async def``: none of them blocks, and FastAPI runs a plain ``def``
dependency in the threadpool (a thread hop, ~0.2 ms, per dependency per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.requests import HTTPConnection

from vidhost.app.container import Container
from vidhost.core.access import Viewer
from vidhost.core.errors import Unauthorized
from vidhost.core.videos import VideoService
from vidhost.http.auth.tokens import verify_token


def container_of(request: HTTPConnection) -> Container:
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    return container_of(request)


async def get_videos(request: Request) -> VideoService:
    return container_of(request).videos


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


BEARER_SUBPROTOCOL = "bearer"
"""Browsers cannot set headers on a WebSocket: ``Sec-WebSocket-Protocol: bearer, <jwt>``."""


def _offered(conn: HTTPConnection) -> list[str]:
    return [p.strip() for p in conn.scope.get("subprotocols") or []]


def subprotocol_token(conn: HTTPConnection) -> str | None:
    """The user JWT offered as a WebSocket subprotocol next to ``bearer``, if any."""
    offered = _offered(conn)
    if BEARER_SUBPROTOCOL not in offered:
        return None
    rest = [p for p in offered if p and p != BEARER_SUBPROTOCOL]
    return rest[0] if rest else None


def bearer_subprotocol(conn: HTTPConnection) -> str | None:
    """``bearer`` if the client offered it (the subprotocol to answer on accept), else None."""
    return BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in _offered(conn) else None


def user_of(conn: HTTPConnection) -> str | None:
    """The signed-in user of a request or WebSocket, or ``None`` without credentials.

    ``VIDHOST_AUTH=none``: every caller is the anonymous user (who owns every video). A
    credential that is present but invalid raises ``Unauthorized``.
    """
    container = container_of(conn)
    if container.settings.auth == "none":
        return container.settings.default_user
    token = bearer_token(conn) or subprotocol_token(conn)
    if token is None:
        return None
    return verify_token(container.jwt_secret(), token)


def require_user(conn: HTTPConnection) -> str:
    """``user_of``, or ``Unauthorized`` without credentials (routes and sockets alike)."""
    user = user_of(conn)
    if user is None:
        raise Unauthorized("Unauthorized", code="unauthorized")
    return user


async def current_user(request: Request) -> str:
    return require_user(request)


async def optional_user(request: Request) -> str | None:
    return user_of(request)


def viewer_of(conn: HTTPConnection) -> Viewer:
    """The caller of a read: user (if signed in) and playback token (``?token=``, if sent)."""
    token = conn.query_params.get("token") or None
    return Viewer(user=user_of(conn), token=token)


TOKEN_DOC = (
    "A playback token (RS256 JWT with kid, sub = video id, aud, exp) for a private video; "
    "see POST /api/videos/{id}/playback-token and /api/signing-keys"
)


async def get_viewer(
    request: Request,
    token: Annotated[str | None, Query(max_length=4096, description=TOKEN_DOC)] = None,
) -> Viewer:
    return Viewer(user=user_of(request), token=token or None)


MAX_OFFSET = 2**63 - 1
"""The largest row offset a database takes (SQLite INTEGER, PostgreSQL bigint)."""

ContainerDep = Annotated[Container, Depends(get_container)]
VideosDep = Annotated[VideoService, Depends(get_videos)]
CurrentUser = Annotated[str, Depends(current_user)]
OptionalUser = Annotated[str | None, Depends(optional_user)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
