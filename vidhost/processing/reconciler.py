"""Re-dispatch work that no message can still reach (ADR 0073).

A task is sent again only when it is *lost* (``SqlRepository.lost_tasks``): never one that is
simply waiting in the queue, and never by two API nodes (each re-dispatch is taken with a
conditional update of the task's dispatch lease first).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from vidhost.core.models import utcnow
from vidhost.core.ports import JobQueue, TaskStore
from vidhost.core.videos import VideoService
from vidhost.processing.periodic import Periodic

log = logging.getLogger(__name__)


class BrokerQueue(JobQueue, Protocol):
    @property
    def redelivers(self) -> bool:
        """The broker gives a dead consumer's messages back by itself (RabbitMQ, embedded)."""
        ...

    def waiting(self) -> int | None:
        """Messages waiting for a consumer; None if the broker cannot be asked."""
        ...


def reconcile(
    videos: VideoService, tasks: TaskStore, jobs: BrokerQueue, *, stale_after: float
) -> int:
    """Start uploads that never got tasks; send again every task that is lost."""
    stale_before = utcnow() - timedelta(seconds=stale_after)
    count = 0
    for video_id in tasks.uploaded_without_tasks(before=stale_before):
        if tasks.lease_start(video_id, before=stale_before):
            videos.start_processing(video_id)
            log.info("reconciler started processing of %s (no task rows)", video_id)
            count += 1
    redelivers = jobs.redelivers
    # The broker is asked only when some task would be lost if its queue were empty.
    if not tasks.lost_tasks(stale_before=stale_before, queue_empty=True, redelivers=redelivers):
        return count
    queue_empty = jobs.waiting() == 0
    lost = tasks.lost_tasks(
        stale_before=stale_before, queue_empty=queue_empty, redelivers=redelivers
    )
    for task in lost:
        if not tasks.lease_redispatch(
            task.video_id,
            task.kind,
            part=task.part,
            stale_before=stale_before,
            queue_empty=queue_empty,
            redelivers=redelivers,
        ):
            continue  # another node took it, or it was claimed meanwhile
        jobs.dispatch(task.video_id, task.kind, task.part)
        log.info(
            "reconciler re-dispatched %s %s for %s (%s, lost)",
            task.kind,
            task.part,
            task.video_id,
            task.status,
        )
        count += 1
    return count


class Reconciler(Periodic):
    """Runs ``reconcile`` at start-up and then every ``interval`` seconds in a thread.

    At start-up every processing task belongs to a worker that may be gone: stale heartbeats
    are detected from the first pass on.
    """

    def __init__(
        self,
        videos: VideoService,
        tasks: TaskStore,
        jobs: BrokerQueue,
        *,
        interval: float,
        stale_after: float,
    ) -> None:
        super().__init__(
            "vidhost-reconciler",
            lambda: reconcile(videos, tasks, jobs, stale_after=stale_after),
            interval=interval,
            immediately=True,
        )
