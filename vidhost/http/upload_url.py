"""The PUT of an upload URL vidhost signed itself, written once (issue 20).

Two surfaces answer one: local storage's pre-signed upload URL (``PUT /storage/upload/{key}``,
``ingest/presigned/signed_put.py``: one whole file, handed to ``accept_source``) and a Mux
direct upload's ``url`` (``PUT /mux/upload/{id}``, ``providers/mux/upload_data.py``: a whole
file or UpChunk's chunks, into the tus engine; ADR 0091 says why not the other). Both URLs
carry ``?expires=&max=&sig=`` of ``Container.url_signer``. What such a PUT is lives here:
the route (a streamed body, not capped at 1 MiB: the signed size is; its OpenAPI body), the
query and its check, the declared length, and a body cut off as ``upload_interrupted``.
Where the bytes go stays with each surface.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from starlette.requests import ClientDisconnect

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput
from vidhost.http.body_limit import StreamedBody

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_OCTETS = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


@dataclass(frozen=True)
class SignedQuery:
    """The signature part of the URL, as sent (checked by ``cap``)."""

    expires: str
    max_size: str
    sig: str

    def cap(self, container: Container, key: str) -> int:
        """The size cap the URL was signed with for ``key``; ``Forbidden``
        (``invalid_signature``, ``url_expired``) for anything wrong."""
        signer = container.url_signer
        return signer.verify(key, self.expires, self.max_size, self.sig, now=time.time())


async def _signed_query(
    expires: str = Query(""),
    max_size: str = Query("", alias="max"),
    sig: str = Query(""),
) -> SignedQuery:
    return SignedQuery(expires, max_size, sig)


Signed = Annotated[SignedQuery, Depends(_signed_query)]
"""An endpoint's ``?expires=&max=&sig=``."""


def signed_put_route(
    router: APIRouter,
    path: str,
    *,
    responses: Mapping[int | str, dict[str, Any]],
    empty_body: bool = False,
) -> Callable[[Endpoint], Endpoint]:
    """``@router.put(path)`` for a signed upload URL: the body is streamed (the endpoint caps
    it at the signed size) and documented as bytes; ``empty_body``: a PUT without one is
    valid too (Mux's status query)."""
    body: dict[str, Any] = (
        {"content": _OCTETS} if empty_body else {"required": True, "content": _OCTETS}
    )
    return router.put(
        path,
        responses=dict(responses),
        dependencies=[StreamedBody],
        openapi_extra={"requestBody": body},  # read as a stream: FastAPI cannot see it
    )


def declared_length(request: Request) -> int | None:
    """The request's ``Content-Length``, if it sent a valid one."""
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


@contextmanager
def interrupted() -> Iterator[None]:
    """Reading the body: a client that cut it off is answered 400 ``upload_interrupted``."""
    try:
        yield
    except ClientDisconnect:
        raise InvalidInput("the upload was interrupted", code="upload_interrupted") from None
