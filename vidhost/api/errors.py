"""Domain errors -> HTTP, in one place. Every error body is ``{"error", "code"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidhost.domain import errors as e
from vidhost.uploads import errors as uploads

log = logging.getLogger(__name__)

STATUS: list[tuple[type[e.DomainError], int]] = [
    (uploads.UploadGone, 410),
    (uploads.UploadLocked, 423),
    (uploads.ChecksumMismatch, 460),
    (uploads.ExceedsLength, 413),
    (e.NotReady, 409),
    (e.NotFound, 404),
    (e.Forbidden, 403),
    (e.Unauthorized, 401),
    (e.TooLarge, 413),
    (e.InvalidInput, 400),
    (e.Conflict, 409),
    (e.StorageFailure, 500),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}


class ApiError(Exception):
    """An HTTP-level error raised by the API layer itself (not by the domain)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def status_for(exc: e.DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **extra}


def install(app: FastAPI) -> None:
    @app.exception_handler(e.DomainError)
    async def _domain(_: Request, exc: e.DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.code), status_code=status_for(exc))

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, exc.code), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "msg": err["msg"],
            }
            for err in exc.errors()
        ]
        message = "; ".join(f"{f['field']}: {f['msg']}" if f["field"] else f["msg"] for f in fields)
        return JSONResponse(
            error_body(message or "invalid request", "invalid_request", fields=fields),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(str(exc.detail), code), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal server error", "internal_error"), status_code=500)
