"""Errors -> HTTP, in one place. Every error body is ``{"error", "code"}``.

The handler is found by exception class (starlette looks handlers up along the MRO): every
:class:`~vidhost.core.errors.CodedError`, request validation, starlette's own HTTP errors,
and anything else (logged, 500 ``internal_error``). The status always comes from the
catalogue, :mod:`vidhost.core.error_codes`, by code.

Logging (``log_answer``, shared by the Mux and Cloudflare surfaces): a coded refusal - any
4xx, and 503 (a wait that ran out, a busy slot: the client retries) - is one INFO line,
``refused GET /path 503 segment_not_ready``, without a traceback; it is routine, not a fault.
A server fault (a coded 5xx other than 503, or an exception nothing catalogued) is an ERROR
with its traceback, and the client only ever gets the catalogue's words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidhost.core import error_codes
from vidhost.core.errors import CodedError

log = logging.getLogger(__name__)


class ApiError(CodedError):
    """An error raised by the API layer itself (not by the domain).

    ``status`` must be the catalogue's status of ``code`` (a unit test checks every raise
    site); it only decides the answer for a code the catalogue does not list yet.
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, code=code, headers=headers)
        self.status = status


def status_for(exc: CodedError) -> int:
    """The catalogue's status of ``exc.code``; for an uncatalogued code, the class's own."""
    if exc.code in error_codes.CATALOGUE:
        return error_codes.status_of(exc.code)
    log.warning("error code %r is not in the catalogue", exc.code)
    if isinstance(exc, ApiError):
        return exc.status
    for cls in type(exc).__mro__:  # the nearest class whose own code is catalogued
        if issubclass(cls, CodedError) and cls.default_code() in error_codes.CATALOGUE:
            return error_codes.status_of(cls.default_code())
    return 500


def is_refusal(status: int) -> bool:
    """A status that answers a request the server refused on purpose (the client's doing, or
    "retry later"), as opposed to a server fault."""
    return status < 500 or status == 503


def log_answer(
    conn: HTTPConnection,
    status: int,
    code: str,
    exc: BaseException | None = None,
    detail: str = "",
) -> None:
    """Log an error answer: a refusal as one INFO line (method, path, status, code); a fault
    as an ERROR with ``exc``'s traceback. The query string is left out (it may hold a
    playback token), and so is a refusal's message (the client's words, not the server's)."""
    method = conn.scope.get("method") or "WEBSOCKET"
    path = conn.url.path
    if is_refusal(status):
        log.info("refused %s %s %d %s", method, path, status, code)
    else:
        log.error("failed %s %s %d %s: %s", method, path, status, code, detail, exc_info=exc)


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **extra}


def error_response(
    status: int, message: str, code: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    return JSONResponse(
        error_body(message, code, **extra),
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def internal_message(status: int, code: str) -> str:
    """What a client is told about a server error: the catalogue's words, no detail."""
    entry = error_codes.CATALOGUE.get(code)
    return entry.description if entry is not None else "internal server error"


def coded_answer(request: HTTPConnection, exc: CodedError) -> tuple[int, str]:
    """The status and the message a client gets for ``exc``, logged (``log_answer``)."""
    status = status_for(exc)
    log_answer(request, status, exc.code, exc, exc.message)
    if status >= 500:
        return status, internal_message(status, exc.code)
    return status, exc.message


async def coded_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CodedError)
    status, message = coded_answer(request, exc)
    return error_response(status, message, exc.code, exc.headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "msg": err["msg"],
        }
        for err in exc.errors()
    ]
    message = "; ".join(f"{f['field']}: {f['msg']}" if f["field"] else f["msg"] for f in fields)
    code = "invalid_request"
    status = error_codes.status_of(code)
    log_answer(request, status, code)
    return error_response(status, message or "invalid request", code, fields=fields)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = error_codes.HTTP_STATUS_CODES.get(exc.status_code)
    if code is None:
        detail = f"HTTP {exc.status_code} has no code in the catalogue: {exc.detail}"
        log_answer(request, 500, "internal_error", None, detail)
        return error_response(500, internal_message(500, "internal_error"), "internal_error")
    log_answer(request, exc.status_code, code)
    return error_response(exc.status_code, str(exc.detail), code, exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log_answer(request, 500, "internal_error", exc, f"unhandled {type(exc).__name__}")
    return error_response(500, internal_message(500, "internal_error"), "internal_error")


class AnswerUnexpected:
    """Answers an exception no handler took (500 ``internal_error``), logged once.

    starlette's outermost ``ServerErrorMiddleware`` answers too, but then re-raises to the
    server, which logs the same traceback a second time ("Exception in ASGI application").
    Caught here, inside it, the error is logged once (``log_answer``) and nothing reaches the
    server. An exception after the answer started cannot be answered: it goes on up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            response = await unexpected_error(Request(scope, receive), exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CodedError, coded_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)  # for middleware outside the next
    app.add_middleware(AnswerUnexpected)
