"""``Authorization: Basic`` with an access token: the owner of a Mux request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import Unauthorized
from vidhost.http.auth.tokens import verify_token
from vidhost.http.deps import bearer_token, container_of
from vidhost.providers.mux.access_tokens import basic_credentials


async def mux_owner(request: Request) -> str:
    container = container_of(request)
    if container.settings.auth == "none":
        return container.settings.default_user
    bearer = bearer_token(request)  # a vidhost user token works too (e.g. to make the first)
    if bearer is not None:
        return verify_token(container.jwt_secret(), bearer)
    credentials = basic_credentials(request.headers.get("authorization"))
    if credentials is None:
        raise Unauthorized("Unauthorized request", code="unauthorized")
    return await run_in_threadpool(container.access_tokens.verify, *credentials)


MuxOwner = Annotated[str, Depends(mux_owner)]
