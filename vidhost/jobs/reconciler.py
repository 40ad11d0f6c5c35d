"""Re-dispatch work left behind by a crash, a lost message or a dead worker."""

from __future__ import annotations

import logging
from datetime import timedelta

from vidhost.domain.models import utcnow
from vidhost.domain.ports import JobQueue, VideoRepository
from vidhost.domain.services import VideoService
from vidhost.jobs.periodic import Periodic

log = logging.getLogger(__name__)


def reconcile(
    videos: VideoService, repo: VideoRepository, jobs: JobQueue, *, stale_after: float
) -> int:
    """Start uploads that never got tasks; send again every task pending or processing
    without a recent heartbeat."""
    stale_before = utcnow() - timedelta(seconds=stale_after)
    count = 0
    for video_id in repo.uploaded_without_tasks(before=stale_before):
        videos.start_processing(video_id)
        log.info("reconciler started processing of %s (no task rows)", video_id)
        count += 1
    for task in repo.unfinished_tasks(stale_before=stale_before):
        repo.mark_dispatched(task.video_id, task.kind, part=task.part)
        jobs.dispatch(task.video_id, task.kind, task.part)
        log.info("reconciler re-dispatched %s for %s (%s)", task.kind, task.video_id, task.status)
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
        repo: VideoRepository,
        jobs: JobQueue,
        *,
        interval: float,
        stale_after: float,
    ) -> None:
        super().__init__(
            "vidhost-reconciler",
            lambda: reconcile(videos, repo, jobs, stale_after=stale_after),
            interval=interval,
            immediately=True,
        )
