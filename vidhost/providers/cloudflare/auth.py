"""``Authorization: Bearer`` with vidhost's own tokens; ``{account_id}`` is the token's user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from vidhost.core.errors import Forbidden
from vidhost.http.deps import require_user

PREFIX = "/client/v4/accounts/{account_id}/stream"

AccountId = Annotated[
    str, Path(max_length=200, description="The owner's user name (the bearer token's `sub`)")
]


async def account(request: Request, account_id: AccountId) -> str:
    """The calling user, who must be ``account_id``: 401 without a valid token, 403 for
    another account (Cloudflare answers an account the token has no rights on with 403)."""
    user = require_user(request)
    if account_id != user:
        raise Forbidden("this token has no access to that account", code="account_mismatch")
    return user


Account = Annotated[str, Depends(account)]
