"""Request bodies are capped at ``JSON_BODY_BYTES`` unless the route streams an upload.

FastAPI reads (and keeps in memory) the whole body of any route with a body parameter,
whatever its ``Content-Type``, before dependencies run. ``BodyLimit`` counts the bytes as
``receive()`` hands them over and raises ``RequestTooLarge`` (413 ``request_too_large``, a
JSON error like every other) once the limit is passed, or at once when ``Content-Length``
announces more. Routes that stream a video body declare ``dependencies=[StreamedBody]``:
the dependency runs before their endpoint reads anything and lifts the limit for that
request (they enforce the upload size limits themselves). A route that never reads its
body is unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidhost.core.limits import JSON_BODY_BYTES
from vidhost.core.sizes import format_size

SCOPE_KEY = "vidhost.body_budget"


class RequestTooLarge(HTTPException):
    """A FastAPI ``HTTPException``, so FastAPI re-raises it from its body reading (any other
    exception there becomes a 400) and the app's handler renders it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {format_size(limit)}")


@dataclass
class Budget:
    limit: int
    received: int = 0
    streamed: bool = False
    """Lifted by ``StreamedBody``: the route caps its own body, chunks pass uncounted."""


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = JSON_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = Budget(self.limit)
        scope[SCOPE_KEY] = budget  # an object: shared even by a copied scope
        declared = _content_length(scope)

        async def limited() -> Message:
            if budget.streamed:  # an upload's byte loop: no counting per chunk
                return await receive()
            if declared is not None and declared > budget.limit:
                raise RequestTooLarge(budget.limit)
            message = await receive()
            if message["type"] == "http.request":
                budget.received += len(message.get("body", b""))
                if budget.received > budget.limit:
                    raise RequestTooLarge(budget.limit)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _streamed_body(request: Request) -> None:
    budget = request.scope.get(SCOPE_KEY)
    if isinstance(budget, Budget):
        budget.streamed = True


StreamedBody = Depends(_streamed_body)
"""``dependencies=[StreamedBody]`` on a route that streams an upload body itself."""
