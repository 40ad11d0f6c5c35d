"""The video core's surfaces: health, form uploads, the library, streaming, processing
status and signed playback; the reconciler that re-dispatches lost tasks."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.app.feature import Background, Feature
from vidhost.app.wiring import Container
from vidhost.delivery import library, signing_keys, streaming, videos
from vidhost.http import health
from vidhost.http.on_demand import SegmentWaiters
from vidhost.ingest import form as uploads
from vidhost.processing import routes as processing
from vidhost.processing.plans import PlanCache
from vidhost.processing.reconciler import Reconciler


def install(c: Container) -> None:
    c.plans = PlanCache(c.storage)
    c.segment_waiters = SegmentWaiters(
        c.repo, c.storage, c.plans, c.bus, bound=c.settings.segment_wait_seconds
    )


def background(c: Container) -> Sequence[Background]:
    s = c.settings
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


FEATURE = Feature(
    "videos",
    install=install,
    routers=(
        health.router,
        uploads.router,
        library.router,
        videos.router,
        signing_keys.router,
        streaming.router,
        processing.router,
    ),
    background=background,
)
