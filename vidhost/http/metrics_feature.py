"""Prometheus metrics (ADR 0072): the service's upload and readiness metrics, and
``/metrics``. Task metrics are the processing feature's; HTTP metrics are middleware."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.adapters.metrics import ServiceMetrics
from vidhost.app.container import Container
from vidhost.app.feature import Feature

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.videos.telemetry = ServiceMetrics()


def routers() -> Sequence[APIRouter]:
    from vidhost.http import metrics

    return (metrics.router,)


FEATURE = Feature(
    "metrics",
    install=install,
    routers=routers,
)
