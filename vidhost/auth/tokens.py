"""HS256 JWTs: ``sub`` is the owner of everything a request creates."""

from __future__ import annotations

import time

import jwt

from vidhost.domain.errors import Unauthorized

ALGORITHM = "HS256"


def issue_token(secret: str, user: str, *, ttl: float = 30 * 24 * 3600) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + int(ttl)}, secret, ALGORITHM)


def verify_token(secret: str, token: str) -> str:
    """Return the token's subject; raise ``Unauthorized`` for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("invalid token", code="invalid_token")
    return sub
