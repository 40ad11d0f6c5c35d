"""Prometheus metrics (ADR 0072): definitions, the HTTP middleware, ``GET /metrics``.

Every metric is observed at an existing single point: HTTP requests in
``vidhost.http.metrics.HttpMetrics`` (an ASGI middleware that never touches request bodies),
uploads and readiness in ``VideoService`` (through the ``Telemetry`` port,
:class:`ServiceMetrics`), task runs around ``TaskRunner.run`` (:func:`instrumented`), webhook
attempts in the dispatcher, WebSockets in the hub. Task and queue gauges are read from the
database at scrape time (:class:`TaskStates`), so any API node reports the whole deployment's
backlog. ``vidhost.http.metrics`` serves them.

Under ``vidhost serve`` the values live in ``PROMETHEUS_MULTIPROC_DIR``
(``vidhost.app.metrics_setup``), shared with the embedded worker; elsewhere in memory.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from vidhost.adapters.db.tables import tasks
from vidhost.core.lifecycle import TaskStatus

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
TASK_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
SPEED_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128)
READY_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)

HTTP_REQUESTS = Counter(
    "vidhost_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "vidhost_http_request_duration_seconds",
    "Time from a request's start to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
UPLOADS = Counter(
    "vidhost_uploads_total",
    "Uploads that ended, by way in (form, resumable, direct) and outcome.",
    ["way", "outcome"],
)
UPLOAD_BYTES = Counter(
    "vidhost_upload_bytes_total", "Bytes of uploads that ended, by way in.", ["way"]
)
TASKS_FINISHED = Counter(
    "vidhost_tasks_finished_total",
    "Task runs by kind and outcome (completed, failed, skipped: taken or done elsewhere).",
    ["kind", "outcome"],
)
TASK_DURATION = Histogram(
    "vidhost_task_duration_seconds",
    "Wall time of task runs, by kind and outcome.",
    ["kind", "outcome"],
    buckets=TASK_BUCKETS,
)
ENCODE_SPEED = Histogram(
    "vidhost_encode_speed_ratio",
    "Seconds of video processed per second of wall time (multiple of realtime), by kind.",
    ["kind"],
    buckets=SPEED_BUCKETS,
)
UPLOAD_TO_READY = Histogram(
    "vidhost_upload_to_ready_seconds",
    "Time from a video's creation (the start of its upload) until it is ready.",
    buckets=READY_BUCKETS,
)
WEBHOOK_DELIVERIES = Counter(
    "vidhost_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, timeout, http_5xx ...).",
    ["outcome"],
)
WEBSOCKETS = Gauge(
    "vidhost_websockets_open",
    "Open WebSocket subscriptions, by surface (video: /video/{id}/status/stream, client:"
    " /ws/{client_id}, owner: /api/events).",
    ["surface"],
    multiprocess_mode="livesum",
)


# --- observation points ------------------------------------------------------------------


class ServiceMetrics:
    """``vidhost.core.telemetry.Telemetry`` for ``VideoService``."""

    def upload_finished(self, way: str, outcome: str, size: int | None) -> None:
        UPLOADS.labels(way, outcome).inc()
        if size:
            UPLOAD_BYTES.labels(way).inc(size)

    def video_ready(self, seconds: float) -> None:
        UPLOAD_TO_READY.observe(max(0.0, seconds))


def instrumented(
    run: Callable[[str, str, int], TaskStatus | None],
    duration_of: Callable[[str, str, int], float | None],
) -> Callable[[str, str, int], None]:
    """``run`` (``TaskRunner.run``) observed: outcome counts, duration, encode speed
    (``duration_of``: seconds of media that run encodes, e.g. one chunk's)."""

    def observed(video_id: str, kind: str, part: int = 0) -> None:
        started = time.monotonic()
        status = run(video_id, kind, part)
        elapsed = time.monotonic() - started
        if status is TaskStatus.PROCESSING:
            return  # it goes on in its parts: counted when they end (transcode_finished)
        outcome = (
            "skipped"
            if status is None
            else "interrupted"  # ffmpeg killed from outside: queued again (ADR 0073)
            if status is TaskStatus.PENDING
            else status.value
        )
        TASKS_FINISHED.labels(kind, outcome).inc()
        if status is None:
            return
        TASK_DURATION.labels(kind, outcome).observe(elapsed)
        if status is TaskStatus.COMPLETED and elapsed > 0:
            duration = duration_of(video_id, kind, part)
            if duration:
                ENCODE_SPEED.labels(kind).observe(duration / elapsed)

    return observed


def transcode_finished(outcome: str, seconds: float, media_seconds: float | None) -> None:
    """The ``transcode`` of a video ended with its last part (ADR 0060): counted like a task
    run, its duration from its creation, its speed over the whole ladder."""
    TASKS_FINISHED.labels("transcode", outcome).inc()
    TASK_DURATION.labels("transcode", outcome).observe(seconds)
    if outcome == TaskStatus.COMPLETED.value and media_seconds and seconds > 0:
        ENCODE_SPEED.labels("transcode").observe(media_seconds / seconds)


def webhook_attempt(error: str | None) -> None:
    """One delivery attempt: ``error`` None when delivered, else its outcome code."""
    if error is None:
        outcome = "delivered"
    elif error.startswith("http_") and len(error) == 8:
        outcome = f"http_{error[5]}xx"  # one series per status class, not per status
    else:
        outcome = error
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def websocket_opened(surface: str) -> None:
    WEBSOCKETS.labels(surface).inc()


def websocket_closed(surface: str) -> None:
    WEBSOCKETS.labels(surface).dec()


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


# --- scraping ---------------------------------------------------------------------------


class TaskStates(Collector):
    """Task rows by kind and status, and the queue depth (tasks waiting for a worker)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        by_state = GaugeMetricFamily(
            "vidhost_tasks",
            "Tasks by kind and state (from the database).",
            labels=["kind", "state"],
        )
        depth = GaugeMetricFamily(
            "vidhost_queue_depth", "Tasks waiting for a worker (state pending)."
        )
        waiting = 0
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tasks.c.kind, tasks.c.status, func.count()).group_by(
                    tasks.c.kind, tasks.c.status
                )
            ).all()
        for kind, state, count in rows:
            by_state.add_metric([kind, state], count)
            if state == TaskStatus.PENDING.value:
                waiting += count
        depth.add_metric([], waiting)
        yield by_state
        yield depth


class _InMemory(Collector):
    """This process's own metrics (when not in multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def scrape(engine: Engine) -> bytes:
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.path.isdir(directory):
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_InMemory())
    registry.register(TaskStates(engine))
    return generate_latest(registry)


def token_ok(header: str | None, token: str | None) -> str | None:
    """None when ``header`` (an ``Authorization`` value) may read the metrics, else the error
    code (``unauthorized``: no bearer token; ``invalid_token``: another one)."""
    if not token:
        return None
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "unauthorized"
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return "invalid_token"
    return None


def serve_worker_metrics(
    host: str, port: int, token: str | None, *, closed: bool = False
) -> ThreadingHTTPServer:
    """``GET /metrics`` of a standalone ``vidhost worker`` (its task metrics), in a thread;
    ``closed``: refused to everyone (403: a non-loopback bind with neither token nor opt-in)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(
                    404, b'{"error": "Not Found", "code": "not_found"}', "application/json"
                )
                return
            if closed:
                closed_body = (
                    b'{"error": "/metrics is closed on a non-loopback bind: set '
                    b'VIDHOST_METRICS_TOKEN or VIDHOST_METRICS_OPEN", "code": "forbidden"}'
                )
                self._answer(403, closed_body, "application/json")
                return
            error = token_ok(self.headers.get("authorization"), token)
            if error is not None:
                body = f'{{"error": "/metrics needs the metrics token", "code": "{error}"}}'
                self._answer(401, body.encode(), "application/json")
                return
            registry = CollectorRegistry()
            registry.register(_InMemory())
            self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="metrics"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="vidhost-metrics", daemon=True).start()
    return server
