"""``JobQueue`` adapter: tasks are sent to Celery (after the caller has committed)."""

from __future__ import annotations

import logging

from celery import Celery

from vidhost.core.lifecycle import TaskKind
from vidhost.processing.broker.celery_app import RUN_TASK

log = logging.getLogger(__name__)

REDELIVERING_SCHEMES = ("amqp", "pyamqp", "amqps", "vidhost-sqla")
"""Brokers that give a dead consumer's unacknowledged messages back by themselves, at once:
RabbitMQ when the consumer's connection closes, the embedded transport when the consumer's
lock is free (ADR 0073). Redis does only after its visibility timeout (1 h)."""


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

    @property
    def redelivers(self) -> bool:
        """Whether the broker gives a dead consumer's messages back by itself."""
        url = str(self.app.conf.broker_url or "")
        return url.split(":", 1)[0].split("+", 1)[0] in REDELIVERING_SCHEMES

    def waiting(self) -> int | None:
        """Messages waiting in the queue for a consumer (not those a live consumer holds);
        None when the broker cannot be asked."""
        from amqp.exceptions import NotFound
        from kombu.exceptions import ChannelError

        name = self.app.conf.task_default_queue
        try:
            # A connection of its own: a failed passive declare closes the channel, and the
            # question is asked only when some task may be lost (not on every pass).
            with self.app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1)
                try:
                    ok = conn.default_channel.queue_declare(queue=name, passive=True)
                except (NotFound, ChannelError):
                    return 0  # no such queue: nothing waits in it
                return int(ok.message_count)
        except Exception:
            log.warning("could not read the depth of queue %s", name, exc_info=True)
            return None
