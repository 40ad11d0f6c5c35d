"""One-time sign-in links (embedded profile): ``vidhost serve`` prints
``{base}/sign-in#code=...``; the page exchanges the code for a user JWT at
``POST /api/auth/sign-in`` and the code is burnt.

The code travels in the URL fragment, which browsers never send to the server, so it is in
no access log. Only a SHA-256 of it is kept, in this process's memory: a restart prints a
new link and voids the old one.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from vidhost.core.errors import Unauthorized
from vidhost.http.auth.tokens import DEFAULT_TTL, issue_token
from vidhost.http.deps import OptionalUser, container_of

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/auth", tags=["auth"])


class SignInRequest(BaseModel):
    code: str = Field(min_length=1, max_length=200)


class SignInResponse(BaseModel):
    token: str
    """A user JWT (bearer token) for the embedded profile's user."""
    user: str
    expiresAt: datetime


@router.post(
    "/sign-in",
    response_model=SignInResponse,
    responses={401: {"description": "The code is unknown, used or expired"}},
)
async def sign_in(body: SignInRequest, request: Request) -> SignInResponse:
    """Exchange the one-time code of the link ``vidhost serve`` printed for a bearer token.

    The code works once. The token is for the embedded profile's single user
    (``VIDHOST_ANONYMOUS_USER``, the owner ``VIDHOST_AUTH=none`` records too).
    """
    codes = container_of(request).sign_in_codes
    if codes is None or not codes.redeem(body.code):
        raise Unauthorized("unknown, used or expired sign-in code", code="sign_in_code_invalid")
    container = container_of(request)
    user = container.settings.default_user
    token = issue_token(container.jwt_secret(), user, ttl=DEFAULT_TTL)
    expires = datetime.fromtimestamp(int(time.time()) + DEFAULT_TTL, UTC)
    return SignInResponse(token=token, user=user, expiresAt=expires)


class Session(BaseModel):
    user: str | None
    """Who the caller is: the bearer token's subject (the anonymous user with
    ``VIDHOST_AUTH=none``), or null without credentials."""
    auth: str
    """``jwt`` (requests need a bearer token) or ``none`` (every caller is the one user)."""


@router.get(
    "/session",
    response_model=Session,
    responses={401: {"description": "A bearer token was sent but is invalid or expired"}},
)
async def session(user: OptionalUser, request: Request) -> Session:
    """Who the caller is, and whether a sign-in is needed: 200 with or without a token."""
    return Session(user=user, auth=container_of(request).settings.auth)
