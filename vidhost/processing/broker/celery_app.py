"""The Celery application, built from settings (never at import time)."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from vidhost.app.settings import Settings
from vidhost.processing.broker import sqlite_transport

RUN_TASK = "vidhost.run_task"

TaskFn = Callable[[str, str, int], None]


def make_celery(settings: Settings) -> Celery:
    """A Celery app on the configured broker. Tasks are sent by name (``RUN_TASK``); a worker
    registers what runs them with ``register_task``."""
    sqlite_transport.register()
    app = Celery("vidhost", broker=settings.resolved_broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.queue,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


def register_task(app: Celery, run: TaskFn) -> None:
    """Make ``run`` execute ``RUN_TASK`` in this process's worker (before it starts)."""

    @app.task(name=RUN_TASK, bind=False, shared=False)  # type: ignore[untyped-decorator]
    def run_task(video_id: str, kind: str, part: int = 0) -> None:
        run(video_id, kind, part)
