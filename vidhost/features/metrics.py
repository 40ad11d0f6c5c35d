"""Prometheus metrics (ADR 0072): the service's upload and readiness metrics, and
``/metrics``. Task metrics are the processing feature's; HTTP metrics are middleware."""

from __future__ import annotations

from vidhost.api import metrics
from vidhost.features.feature import Feature
from vidhost.metrics import ServiceMetrics
from vidhost.wiring import Container


def install(c: Container) -> None:
    c.videos.telemetry = ServiceMetrics()


FEATURE = Feature("metrics", install=install, routers=(metrics.router,))
