"""ASGI middleware for the resumable-upload surface (``/api/v1/videos/...``).

- ``X-HTTP-Method-Override`` (tus core): a POST carrying it is routed as that method.
- ``Tus-Resumable: 1.0.0`` on every tus response, errors included.
- CORS: a browser on any origin may call these endpoints with every tus header, and read
  every tus response header. Preflights are answered here, before authentication.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TUS_VERSION = "1.0.0"
PREFIX = "/api/v1/videos/"
TUS_PREFIX = "/api/v1/videos/tus"
OVERRIDABLE = {"PATCH", "DELETE", "HEAD", "GET", "OPTIONS", "POST"}

ALLOW_HEADERS = ", ".join(
    [
        "Authorization",
        "Content-Type",
        "Tus-Resumable",
        "Upload-Length",
        "Upload-Offset",
        "Upload-Metadata",
        "Upload-Defer-Length",
        "Upload-Concat",
        "Upload-Checksum",
        "X-HTTP-Method-Override",
        "X-Requested-With",
    ]
)
EXPOSE_HEADERS = ", ".join(
    [
        "Location",
        "Tus-Resumable",
        "Tus-Version",
        "Tus-Max-Size",
        "Tus-Extension",
        "Tus-Checksum-Algorithm",
        "Upload-Offset",
        "Upload-Length",
        "Upload-Metadata",
        "Upload-Defer-Length",
        "Upload-Concat",
        "Upload-Expires",
        "Vidhost-Video-Id",
    ]
)
ALLOW_METHODS = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"


class TusMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in headers
        ):
            await self._preflight(origin, send)
            return
        override = headers.get("x-http-method-override", "").strip().upper()
        if scope["method"] == "POST" and override in OVERRIDABLE:
            scope = {**scope, "method": override}
        is_tus = scope["path"].startswith(TUS_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                if is_tus:
                    out["Tus-Resumable"] = TUS_VERSION
                if origin is not None:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
                    out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(self, origin: str, send: Send) -> None:
        headers = MutableHeaders()
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        headers["Access-Control-Max-Age"] = "86400"
        headers["Vary"] = "Origin"
        headers["Content-Length"] = "0"
        await send({"type": "http.response.start", "status": 204, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
