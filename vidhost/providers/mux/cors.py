"""CORS for Mux upload URLs: only the upload's ``cors_origin`` may PUT to it from a browser.

Outermost middleware, for ``/mux/upload/*`` only: a preflight is answered here from the
upload's record (204 for its origin, or any origin when ``cors_origin`` is ``*``; 403 for
others), and the answers to the PUTs carry the same ``Access-Control-Allow-Origin`` (the
general ``VIDHOST_CORS_ORIGINS`` headers are replaced), exposing ``Range`` to UpChunk.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidhost.providers.mux.upload_links import PATH

ALLOW_HEADERS = "Content-Type, Content-Range, Content-Length, Authorization, X-Requested-With"


def _allowed(cors_origin: str | None, origin: str) -> bool:
    return cors_origin is not None and cors_origin.rstrip("/") in ("*", origin.rstrip("/"))


class UploadCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PATH):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        upload_id = scope["path"][len(PATH) :].split("/")[0]
        container = scope["app"].state.container
        record = await run_in_threadpool(container.mux_store.get_upload, upload_id)
        allowed = record is not None and _allowed(record.cors_origin, origin)
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if preflight:
            response: Response = (
                Response(
                    status_code=204,
                    headers={
                        "Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": "PUT, OPTIONS",
                        "Access-Control-Allow-Headers": headers.get(
                            "access-control-request-headers", ALLOW_HEADERS
                        ),
                        "Access-Control-Max-Age": "600",
                        "Vary": "Origin",
                    },
                )
                if allowed
                else PlainTextResponse("origin not allowed for this upload", status_code=403)
            )
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name in list(out.keys()):
                    if name.lower().startswith("access-control-"):
                        del out[name]
                if allowed:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Expose-Headers"] = "Range"
                    out.append("Vary", "Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)
