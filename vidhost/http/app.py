"""``create_app(settings)``: the FastAPI application: the HTTP stack, then every feature's
routers, and a lifespan that runs every feature's background jobs (``vidhost.app.features``)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from vidhost import __version__
from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.app.settings import Settings
from vidhost.core import limits
from vidhost.http import errors, openapi
from vidhost.http.body_limit import BodyLimit
from vidhost.http.metrics import HttpMetrics
from vidhost.http.tus_middleware import TusMiddleware

log = logging.getLogger(__name__)


ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Range",
    "If-None-Match",
    "If-Range",
    "If-Modified-Since",
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
"""Request headers a browser on another origin may send (players, tus clients)."""

EXPOSED_HEADERS = [
    "Content-Length",
    "Content-Range",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
    "Location",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Metadata",
    "Upload-Defer-Length",
    "Upload-Concat",
    "Upload-Expires",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
    "Vidhost-Video-Id",
    "Stream-Media-Id",
]
"""Response headers a browser on another origin may read (players, tus clients)."""


def build_app(
    settings: Settings,
    features: Sequence[Feature],
    build: Callable[[Settings], Container],
    container: Container | None = None,
) -> FastAPI:
    """The app serving ``features``; its lifespan holds ``container``, or one ``build``
    makes at start-up (and closes at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        c = container or build(settings)
        app.state.container = c
        if settings.auth == "jwt":
            c.jwt_secret()  # created now, so `vidhost token` and every process share it
        jobs: list[Background] = [job for f in features for job in f.background(c)]
        started: list[Background] = []
        try:
            for job in jobs:
                job.start()
                started.append(job)
            log.info("vidhost %s ready (pid %s)", __version__, os.getpid())
            yield
        finally:
            for job in reversed(started):
                job.stop()
            if container is None:
                c.close()

    app = FastAPI(
        title="vidhost",
        version=__version__,
        description="Self-hosted video platform: upload, process, stream.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by vidhost.web.pages
        redoc_url=None,
    )
    # innermost: sees the matched route (metrics.HttpMetrics), then the body limit
    app.add_middleware(HttpMetrics)
    app.add_middleware(BodyLimit, limit=limits.JSON_BODY_BYTES)
    app.add_middleware(TusMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["*"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=86400,
    )
    errors.install(app)
    openapi.install(app)
    for feature in features:
        for router in feature.routers():
            app.include_router(router, include_in_schema=feature.in_schema)
    for feature in features:
        if feature.mount is not None:
            feature.mount(app)
    return app
