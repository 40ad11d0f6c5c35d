"""Unknown routes under a vendor's prefix answer in that vendor's error shape.

A path no route matches (404), or a known path with a method no route takes (405), is
answered by starlette before any route class can shape it. A surface (Mux's ``/video/v1/``,
Cloudflare's ``/client/v4/``) hands its prefixes and its renderer to
:func:`answer_unknown_routes` in its feature's ``mount``; every other path keeps vidhost's
shape. Handlers chain, so each surface wraps the one before."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidhost.core import error_codes
from vidhost.http.errors import http_error, log_answer

Renderer = Callable[[int, str, str, Mapping[str, str] | None], Response]
"""``(status, code, message, headers) -> response`` in the vendor's shape."""


def answer_unknown_routes(app: FastAPI, prefixes: tuple[str, ...], render: Renderer) -> None:
    inner = app.exception_handlers.get(StarletteHTTPException, http_error)

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = error_codes.HTTP_STATUS_CODES.get(exc.status_code)
        if code is None or not request.url.path.startswith(prefixes):
            response: Response = await inner(request, exc)  # type: ignore[misc]
            return response
        log_answer(request, exc.status_code, code)
        return render(exc.status_code, code, str(exc.detail), dict(exc.headers or {}) or None)

    app.add_exception_handler(StarletteHTTPException, handler)
