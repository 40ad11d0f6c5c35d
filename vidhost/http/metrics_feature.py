"""Prometheus metrics (ADR 0072): the service's upload and readiness metrics, and
``/metrics``. Task metrics are the processing feature's; HTTP metrics are middleware."""

from __future__ import annotations

from vidhost.adapters.metrics import ServiceMetrics
from vidhost.app.feature import Feature
from vidhost.app.wiring import Container
from vidhost.http import metrics


def install(c: Container) -> None:
    c.videos.telemetry = ServiceMetrics()


FEATURE = Feature("metrics", install=install, routers=(metrics.router,))
