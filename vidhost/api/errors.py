"""Errors -> HTTP, in one place. Every error body is ``{"error", "code"}``.

The handler is found by exception class (starlette looks handlers up along the MRO): every
:class:`~vidhost.domain.errors.CodedError`, request validation, starlette's own HTTP errors,
and anything else (logged, 500 ``internal_error``). The status always comes from the
catalogue, :mod:`vidhost.domain.error_codes`, by code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidhost.domain import error_codes
from vidhost.domain.errors import CodedError

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


async def coded_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, CodedError)
    status = status_for(exc)
    message = exc.message
    if status >= 500:
        log.error("%s: %s", exc.code, exc.message, exc_info=exc)
        message = internal_message(status, exc.code)
    return error_response(status, message, exc.code, exc.headers)


async def validation_error(_: Request, exc: Exception) -> Response:
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
    return error_response(
        error_codes.status_of(code), message or "invalid request", code, fields=fields
    )


async def http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = error_codes.HTTP_STATUS_CODES.get(exc.status_code)
    if code is None:
        log.error("HTTP %s has no code in the catalogue: %s", exc.status_code, exc.detail)
        return error_response(500, internal_message(500, "internal_error"), "internal_error")
    return error_response(exc.status_code, str(exc.detail), code, exc.headers)


async def unexpected_error(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, internal_message(500, "internal_error"), "internal_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(CodedError, coded_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
