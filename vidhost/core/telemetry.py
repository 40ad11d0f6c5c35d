"""What the video service reports for metrics (ADR 0072): a port, so the domain stays pure.

``vidhost.adapters.metrics.ServiceMetrics`` implements it with Prometheus; the default does nothing.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def upload_finished(self, way: str, outcome: str, size: int | None) -> None:
        """An upload ended: ``way`` in (``form``, ``resumable``, ``direct``), ``outcome``
        ``accepted`` (the video is ``uploaded``) or ``rejected`` (too large, not a video ...);
        ``size`` its bytes when known."""

    def video_ready(self, seconds: float) -> None:
        """A video became ready ``seconds`` after its record was created."""


class NoTelemetry:
    def upload_finished(self, way: str, outcome: str, size: int | None) -> None:
        return None

    def video_ready(self, seconds: float) -> None:
        return None
