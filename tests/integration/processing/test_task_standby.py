"""A message whose task someone else holds (ADR 0073): a duplicate of a live task ends, and
a redelivered message of a dead holder takes the task over once its heartbeat is stale."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.clips import make_clip
from tests.integration.helpers import container
from tests.integration.helpers import upload as upload_local
from vidhost.core.lifecycle import TaskKind, TaskStatus
from vidhost.core.models import utcnow
from vidhost.processing.runner import TaskContext, TaskRunner


def test_a_duplicate_of_a_live_task_ends_and_a_dead_holders_task_is_taken_over(
    tmp_path: Path,
) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=1, width=64, height=48, audio=False)
    with container(tmp_path / "data", task_stale_after=2.0, task_heartbeat_interval=0.5) as c:
        video_id = upload_local(c, clip)
        release = threading.Event()
        runs: list[str] = []

        def slow(ctx: TaskContext) -> None:
            runs.append(threading.current_thread().name)
            release.wait(30)

        handlers = {TaskKind.METADATA_EXTRACTION: slow}
        holder = TaskRunner(c.videos, c.repo, handlers, stale_after=2.0, heartbeat_interval=0.5)
        duplicate = TaskRunner(c.videos, c.repo, handlers, stale_after=2.0, heartbeat_interval=0.5)
        kind = TaskKind.METADATA_EXTRACTION.value
        result: list[TaskStatus | None] = []
        running = threading.Thread(
            target=lambda: result.append(holder.run(video_id, kind)), name="holder"
        )
        running.start()
        while not runs:
            time.sleep(0.01)
        # The holder beats: the duplicate sees it alive and ends, well before the stale window.
        start = time.monotonic()
        assert duplicate.run(video_id, kind) is None
        assert time.monotonic() - start < 4.0  # it did not sit out its whole bound (5 s)
        release.set()
        running.join(10)
        assert result == [TaskStatus.COMPLETED] and runs == ["holder"]
        # A holder that dies (its heartbeat stops): a redelivered message takes over at once
        # when the heartbeat is stale, not after a reconciler pass.
        row = c.repo.get_task(video_id, TaskKind.METADATA_EXTRACTION)
        assert row is not None and row.attempts == 1
        c.repo.update_task(
            video_id,
            TaskKind.METADATA_EXTRACTION,
            status=TaskStatus.PENDING,
            progress=0.0,
            event=None,
        )
        token = c.repo.claim_task(video_id, TaskKind.METADATA_EXTRACTION, stale_before=utcnow())
        assert token is not None  # a holder that never beats again
        release.clear()
        release.set()
        start = time.monotonic()
        assert duplicate.run(video_id, kind) is TaskStatus.COMPLETED
        waited = time.monotonic() - start
        assert waited > 1.0, waited  # it waited for the heartbeat to go stale (2 s)
        row = c.repo.get_task(video_id, TaskKind.METADATA_EXTRACTION)
        assert row is not None and row.attempts == 3 and row.status is TaskStatus.COMPLETED
