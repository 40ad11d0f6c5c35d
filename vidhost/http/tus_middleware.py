"""ASGI middleware for the resumable-upload surface (``/api/v1/videos/...``).

- ``X-HTTP-Method-Override`` (tus core): a POST carrying it is routed as that method.
- ``Tus-Resumable: 1.0.0`` on every tus response, errors included (also on the signed
  Cloudflare-shaped tus URLs under ``/cloudflare/tus/``).

CORS (preflights, exposed tus headers) is the application-wide ``CORSMiddleware``'s job
(``vidhost.http.app.EXPOSED_HEADERS``), so one origin policy covers every endpoint.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TUS_VERSION = "1.0.0"
PREFIX = "/api/v1/videos/"
TUS_PREFIX = "/api/v1/videos/tus"
TUS_PREFIXES = (TUS_PREFIX, "/cloudflare/tus/")
"""Paths served by the tus handlers: vidhost's endpoint and the signed Cloudflare-shaped
upload URLs (``vidhost.providers.cloudflare.uploads``)."""
OVERRIDABLE = {"PATCH", "DELETE", "HEAD", "GET", "OPTIONS", "POST"}


class TusMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith((PREFIX, *TUS_PREFIXES)):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        override = headers.get("x-http-method-override", "").strip().upper()
        if scope["method"] == "POST" and override in OVERRIDABLE:
            scope = {**scope, "method": override}
        if not scope["path"].startswith(TUS_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Tus-Resumable"] = TUS_VERSION
            await send(message)

        await self.app(scope, receive, send_with_headers)
