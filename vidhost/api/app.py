"""``create_app(settings)``: the FastAPI application and its background services."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vidhost import __version__
from vidhost.api import (
    client_socket,
    errors,
    health,
    status_stream,
    streaming,
    uploads,
    videos,
    webhooks,
)
from vidhost.events.log_tail import EventLogTailer
from vidhost.jobs.reconciler import Reconciler
from vidhost.jobs.supervisor import WorkerSupervisor
from vidhost.realtime.services import RealtimeServices
from vidhost.settings import Settings
from vidhost.wiring import Container, build_container

log = logging.getLogger(__name__)


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
        wakeup = threading.Event()
        tailer = EventLogTailer(c.repo, c.bus, interval=settings.event_poll_interval, wakeup=wakeup)
        realtime = RealtimeServices(c, wakeup)
        realtime.start(app.state)
        tailer.start()
        reconciler = Reconciler(
            c.repo,
            c.videos.jobs,
            interval=settings.reconcile_interval,
            stale_after=settings.task_stale_after,
        )
        supervisor = None
        if settings.embedded_worker:
            supervisor = WorkerSupervisor(worker_env(settings))
            supervisor.start()
        reconciler.start()
        log.info("vidhost %s ready (pid %s)", __version__, os.getpid())
        try:
            yield
        finally:
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
    )
    errors.install(app)
    for module in (health, uploads, videos, streaming, status_stream, client_socket, webhooks):
        app.include_router(module.router)
    return app
