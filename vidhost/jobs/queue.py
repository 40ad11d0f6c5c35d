"""``JobQueue`` adapter: tasks are sent to Celery (after the caller has committed)."""

from __future__ import annotations

import logging

from celery import Celery

from vidhost.domain.lifecycle import TaskKind
from vidhost.jobs.celery_app import RUN_TASK

log = logging.getLogger(__name__)


class CeleryJobQueue:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def dispatch(self, video_id: str, kind: TaskKind, part: int = 0) -> None:
        try:
            self.app.send_task(
                RUN_TASK, args=[video_id, kind.value, part], queue=self.app.conf.task_default_queue
            )
        except Exception:
            # The database is the source of truth: the reconciler sends it again later.
            log.exception("could not send %s for %s; the reconciler will retry", kind, video_id)
