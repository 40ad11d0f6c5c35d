"""Cloudflare's response envelope, for answers and errors alike.

``{"result": ..., "success": true, "errors": [], "messages": []}``; an error is
``{"result": null, "success": false, "errors": [{"code": <int>, "message": ...,
"vidhost_code": ...}], "messages": []}`` with the HTTP status vidhost's catalogue gives the
code. Routes of this package use :class:`CloudflareRoute`, which renders every error they
raise (coded errors, request validation, starlette's HTTP errors) in this shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidhost.core import error_codes
from vidhost.core.errors import CodedError
from vidhost.http.errors import coded_answer, internal_message, log_answer

AUTH_ERROR = 10000
"""Cloudflare's ``Authentication error`` (401 and 403 alike)."""
NUMBERS = {400: 10005, 401: AUTH_ERROR, 403: AUTH_ERROR, 404: 10003, 409: 10009, 413: 10006}
"""HTTP status -> the error number in the envelope. Only 10000 is Cloudflare's documented
meaning; ``vidhost_code`` names the exact error (docs/errors.md)."""


def success(
    result: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The envelope of an answer; ``extra``: top-level fields next to it (``total``)."""
    body = {"result": result, "success": True, "errors": [], "messages": [], **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def failure(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    number = NUMBERS.get(status, 10002 if status >= 500 else 10005)
    error = {"code": number, "message": message, "vidhost_code": code}
    body = {"result": None, "success": False, "errors": [error], "messages": []}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def render(request: Request, exc: Exception) -> Response:
    """Any exception a Cloudflare route raised, in the envelope (never a traceback), logged
    as vidhost logs every error answer (``log_answer``: a refusal in one INFO line)."""
    if isinstance(exc, CodedError):
        status, message = coded_answer(request, exc)
        return failure(status, exc.code, message, exc.headers)
    if isinstance(exc, RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
        log_answer(request, 400, "invalid_request")
        return failure(400, "invalid_request", "; ".join(parts) or "invalid request")
    if isinstance(exc, StarletteHTTPException):
        code = error_codes.HTTP_STATUS_CODES.get(exc.status_code, "internal_error")
        log_answer(request, exc.status_code, code, None, str(exc.detail))
        return failure(exc.status_code, code, str(exc.detail))
    log_answer(request, 500, "internal_error", exc, f"unhandled {type(exc).__name__}")
    return failure(500, "internal_error", internal_message(500, "internal_error"))


class CloudflareRoute(APIRoute):
    """An ``APIRoute`` whose errors are answered in Cloudflare's envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every error of this surface, in its own shape
                return render(request, exc)

        return handle
