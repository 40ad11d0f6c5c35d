"""The video core's surfaces: health, form uploads, the library, streaming, processing
status and signed playback; the reconciler that re-dispatches lost tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.processing.plans import PlanCache
from vidhost.processing.reconciler import Reconciler

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.plans = PlanCache(c.storage)
    if not c.worker:  # a worker holds no segment requests (and loads no HTTP stack)
        _install_waiters(c)


def _install_waiters(c: Container) -> None:
    from vidhost.http.on_demand import SegmentWaiters

    c.segment_waiters = SegmentWaiters(
        c.repo, c.repo, c.storage, c.plans, c.bus, bound=c.settings.segment_wait_seconds
    )


def background(c: Container) -> Sequence[Background]:
    s = c.settings
    if not hasattr(c, "segment_waiters"):  # an API process on a worker's container (tests)
        _install_waiters(c)
    return [
        c.segment_waiters,  # wakes held segment requests from the bus's events
        Reconciler(
            c.videos,
            c.repo,
            c.queue,
            interval=s.reconcile_interval,
            stale_after=s.task_stale_after,
        ),
    ]


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery import library, signing_keys, streaming, videos
    from vidhost.http import health
    from vidhost.ingest import form
    from vidhost.processing import routes as processing

    return (
        health.router,
        form.router,
        library.router,
        videos.router,
        signing_keys.router,
        streaming.router,
        processing.router,
    )


FEATURE = Feature(
    "videos",
    install=install,
    routers=routers,
    background=background,
)
