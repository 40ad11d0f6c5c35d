"""``GET /metrics`` (Prometheus text format) and the HTTP request metrics (ADR 0072)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidhost.adapters.metrics import http_request, scrape, token_ok
from vidhost.app.settings import metrics_closed
from vidhost.http.deps import ContainerDep
from vidhost.http.errors import ApiError


class HttpMetrics:
    """Counts and times HTTP requests by route template. Only ``send`` is wrapped, to read
    the status: ``receive`` (the request body) goes to the app untouched (ADR 0013)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            method = scope["method"]
            label = template if isinstance(template, str) else "<unmatched>"
            http_request(method, label, status, time.perf_counter() - started)


router = APIRouter(tags=["metrics"])


def _authorize(request: Request, token: str | None) -> None:
    error = token_ok(request.headers.get("authorization"), token)
    if error is None:
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
    if error == "unauthorized":
        raise ApiError(401, "unauthorized", "/metrics needs a bearer token", headers=challenge)
    raise ApiError(401, "invalid_token", "the metrics token is wrong", headers=challenge)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, container: ContainerDep) -> Response:
    if metrics_closed(container.settings):
        raise ApiError(
            403,
            "forbidden",
            "/metrics is closed on a non-loopback bind: set VIDHOST_METRICS_TOKEN, or "
            "VIDHOST_METRICS_OPEN=true to serve it to anyone",
        )
    _authorize(request, container.settings.metrics_token)
    body = await run_in_threadpool(scrape, container.engine)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
