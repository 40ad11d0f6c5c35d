"""Errors in Mux's shape: ``{"error": {"type": ..., "messages": [...], "code": ...}}``.

Routes of the Mux surface use :class:`MuxRoute`, which answers every error its handler raises
(coded errors, validation, HTTP errors) in that shape with the status the catalogue gives the
code; ``code`` is vidhost's stable code (an extra field a Mux client ignores).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from vidhost.core import error_codes
from vidhost.core.errors import CodedError
from vidhost.http.errors import coded_answer, log_answer

TYPES = {
    400: "invalid_parameters",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "not_found",
    413: "invalid_parameters",
    415: "invalid_parameters",
    429: "too_many_requests",
}
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Basic realm="Mux"'}
MUX_PREFIXES = ("/video/v1/", "/system/v1/")
"""Paths Mux's API owns: an unknown route there answers in Mux's shape too."""

MUX_ERROR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "title": "MuxError",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["type", "messages"],
                    "properties": {
                        "type": {"type": "string"},
                        "messages": {"type": "array", "items": {"type": "string"}},
                        "code": {"type": "string", "description": "vidhost's stable code"},
                    },
                }
            },
        },
        # a path that matches no Mux route is answered by vidhost's own handler
        {"$ref": "#/components/schemas/ErrorBody"},
    ]
}
_DESCRIPTIONS = {
    400: "Invalid parameters",
    401: "Missing or wrong access token (Basic) or bearer token",
    403: "Refused: bad upload URL signature, or a signed playback id without a fitting token",
    404: "Not found, or another owner's",
    409: "Conflict: the upload is not waiting, a chunk out of order, the asset not ready",
    410: "The upload's bytes expired",
    413: "Over a size limit",
    423: "Locked",
    503: "Busy: retry (Retry-After)",
}
MUX_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": f"{text} (Mux's error shape)",
        "content": {"application/json": {"schema": MUX_ERROR_SCHEMA}},
    }
    for status, text in _DESCRIPTIONS.items()
}
"""Every error status a Mux route may answer, documented with Mux's body."""


def mux_error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    kind = TYPES.get(status, "internal_error" if status >= 500 else "invalid_parameters")
    body = {"error": {"type": kind, "messages": [message], "code": code}}
    if status == 401:
        headers = {**WWW_AUTHENTICATE, **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def _describe(request: Request, exc: Exception) -> Response:
    """``exc`` in Mux's shape, logged as vidhost logs every error answer (``log_answer``)."""
    if isinstance(exc, CodedError):
        status, message = coded_answer(request, exc)  # a 5xx: the catalogue's words only
        return mux_error(status, message, exc.code, dict(exc.headers or {}))
    if isinstance(exc, RequestValidationError):
        messages = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e['msg']}"
            for e in exc.errors()
        ]
        log_answer(request, 400, "invalid_request")
        return mux_error(400, "; ".join(messages) or "invalid request", "invalid_request")
    if isinstance(exc, HTTPException):
        code = error_codes.HTTP_STATUS_CODES.get(exc.status_code, "internal_error")
        log_answer(request, exc.status_code, code, None, str(exc.detail))
        return mux_error(exc.status_code, str(exc.detail), code, dict(exc.headers or {}))
    raise exc


class MuxRoute(APIRoute):
    """An ``APIRoute`` whose errors are answered in Mux's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except (CodedError, RequestValidationError, HTTPException) as exc:
                return _describe(request, exc)

        return route
