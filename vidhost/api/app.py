"""``create_app(settings)``: the FastAPI application and its background services."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from vidhost import __version__
from vidhost.api import (
    client_socket,
    direct,
    errors,
    events_socket,
    health,
    library,
    metrics,
    openapi,
    posts,
    processing,
    signed_upload,
    signing_keys,
    status_stream,
    streaming,
    thumbnails,
    tus,
    upload_sessions,
    uploads,
    videos,
    webhooks,
)
from vidhost.api.body_limit import BodyLimit
from vidhost.api.metrics import HttpMetrics
from vidhost.api.tus_middleware import TusMiddleware
from vidhost.domain import limits
from vidhost.events.log_tail import EventLogTailer
from vidhost.jobs.cleanup import CleanupLoop
from vidhost.jobs.queue import CeleryJobQueue
from vidhost.jobs.reconciler import Reconciler
from vidhost.jobs.supervisor import WorkerSupervisor
from vidhost.jobs.upload_watcher import UploadWatcher
from vidhost.realtime.services import RealtimeServices
from vidhost.settings import Settings
from vidhost.web import pages, signin
from vidhost.wiring import Container, build_container

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
]
"""Response headers a browser on another origin may read (players, tus clients)."""


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment a worker process needs to see the same settings as this process."""
    env = {"VIDHOST_DATA_DIR": str(settings.data_dir)}
    for name, value in settings.model_dump(exclude_unset=True).items():
        if value is not None and isinstance(value, str | int | float | bool):
            env[f"VIDHOST_{name.upper()}"] = str(value)
    env["VIDHOST_DATA_DIR"] = str(settings.data_dir)
    return env


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or (container.settings if container else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        c = container or build_container(settings)
        app.state.container = c
        if settings.auth == "jwt":
            c.jwt_secret()  # created now, so `vidhost token` and every process share it
        wakeup = threading.Event()
        tailer = EventLogTailer(c.repo, c.bus, interval=settings.event_poll_interval, wakeup=wakeup)
        realtime = RealtimeServices(c, wakeup)
        realtime.start(app.state)
        tailer.start()
        reconciler = Reconciler(
            c.videos,
            c.repo,
            CeleryJobQueue(c.celery),  # it also asks the broker for its queue's depth
            interval=settings.reconcile_interval,
            stale_after=settings.task_stale_after,
        )
        supervisor = None
        if settings.embedded_worker:
            supervisor = WorkerSupervisor(worker_env(settings))
            supervisor.start()
        reconciler.start()
        cleanup = CleanupLoop(c.sweepers, interval=settings.cleanup_interval)
        cleanup.start()
        watcher = UploadWatcher(c.direct, interval=settings.upload_watch_interval)
        watcher.start()
        if signin.is_embedded(c):
            app.state.sign_in_codes = signin.SignInCodes()
            signin.announce(app.state.sign_in_codes, c)
        log.info("vidhost %s ready (pid %s)", __version__, os.getpid())
        try:
            yield
        finally:
            cleanup.stop()
            watcher.stop()
            reconciler.stop()
            tailer.stop()
            realtime.stop()
            if supervisor is not None:
                supervisor.stop()
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
    for module in (
        health,
        uploads,
        direct,
        library,
        videos,
        signed_upload,
        signing_keys,
        streaming,
        processing,
        thumbnails,
        posts,
        tus,
        upload_sessions,
        status_stream,
        client_socket,
        events_socket,
        webhooks,
        metrics,
    ):
        app.include_router(module.router)
    pages.install(app)
    return app
