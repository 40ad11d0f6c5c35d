"""HS256 JWTs: ``sub`` is the owner of everything a request creates; ``exp`` is required."""

from __future__ import annotations

import time

import jwt

from vidhost.core.errors import Unauthorized

ALGORITHM = "HS256"
DEFAULT_TTL = 30 * 24 * 3600
MAX_TTL = 366 * 24 * 3600
"""Longest lifetime ``issue_token`` (and ``vidhost token --ttl``) gives a token."""


def issue_token(secret: str, user: str, *, ttl: float = DEFAULT_TTL) -> str:
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be more than 0 and at most {MAX_TTL} seconds (366 days)")
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + int(ttl)}, secret, ALGORITHM)


def verify_token(secret: str, token: str) -> str:
    """Return the token's subject; raise ``Unauthorized`` for anything else, including a
    token without ``exp`` (it would never expire)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("invalid token", code="invalid_token")
    return sub
