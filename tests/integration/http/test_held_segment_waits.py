"""Held segment requests share one wait per segment, woken by the event log (ADR 0064).

Real parts: SQLite, local storage, the event-log tailer feeding the bus, a real chunk encode.
The shared re-check is set to 30 s, so an answer within it can only come from the
``segments.stored`` event; storage is wrapped only to count the looks the waits make.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from tests.e2e.delivery.test_progressive_playback import WORKER, timed_clip
from tests.integration.helpers import container, upload
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import SEGMENTS_STORED
from vidhost.core.ports import ObjectInfo, Storage
from vidhost.http.on_demand import SegmentWaiters
from vidhost.notify.events.log_tail import EventLogTailer

HELD = 100


class CountedLooks:
    """The real storage; ``stat`` calls counted."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.stats = 0

    def stat(self, key: str) -> ObjectInfo:
        self.stats += 1
        return self.storage.stat(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


def test_held_requests_share_one_wait_that_the_segments_event_wakes(tmp_path: Path) -> None:
    clip = timed_clip(tmp_path / "clip.mp4", 12)
    with container(tmp_path / "data", **WORKER) as c:
        video_id = upload(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert c.repo.get_video(video_id).state is VideoState.READY  # type: ignore[union-attr]
        looks = CountedLooks(c.storage)
        waiters = SegmentWaiters(c.repo, c.repo, looks, c.plans, c.bus, bound=60, recheck=30)  # type: ignore[arg-type]
        tailer = EventLogTailer(c.repo, c.bus, interval=0.02)
        seen: list[str] = []
        unsubscribe = c.bus.subscribe(lambda e: seen.append(e.type))
        waiters.start()
        tailer.start()
        # 6 segments of 2 s: chunk 0 = [0], 1 = [1, 2], 2 = [3, 4], 3 = [5].
        name = layout.segment_name("180p", 3)
        key = layout.hls_prefix(video_id) + name
        try:

            async def hold() -> tuple[list[ObjectInfo], float, int]:
                holds = [
                    asyncio.create_task(waiters.wait(video_id, name, key)) for _ in range(HELD)
                ]
                await asyncio.sleep(0.5)
                assert waiters.waiting() == HELD and not any(h.done() for h in holds)
                chunk = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=2)
                assert chunk is not None and chunk.requested_at is not None  # asked once
                before = looks.stats
                started = time.monotonic()
                worker = threading.Thread(
                    target=runner.run, args=(video_id, "transcode_chunk", 1)
                )  # a message for chunk 1: the claim takes chunk 2, the one waited for
                worker.start()
                infos = await asyncio.gather(*holds)
                took = time.monotonic() - started
                await asyncio.to_thread(worker.join, 60)
                return infos, took, looks.stats - before

            infos, took, stats = asyncio.run(hold())
        finally:
            tailer.stop()
            waiters.stop()
            unsubscribe()
        print(f"{HELD} held: answered {took:.2f} s after the worker started, {stats} looks")
        stored = c.storage.stat(key)
        assert all(i.etag == stored.etag and i.size == stored.size for i in infos)
        assert took < 25, took  # the event, not the 30 s re-check
        assert SEGMENTS_STORED in seen
        assert stats <= 3, stats  # looks per wake of the one key, not per request
        # Its other rungs gave the only worker back to chunk 3, stamped ahead of the reader
        # and waiting unclaimed (ADR 0064): chunk 2 is queued again, its attempt not counted.
        chunk2 = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=2)
        assert chunk2 is not None and chunk2.status is TaskStatus.PENDING, chunk2
        assert chunk2.attempts == 0, chunk2
        assert waiters.waiting() == 0
