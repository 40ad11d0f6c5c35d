"""Held segment requests (ADR 0061, ADR 0064): a ready video's segment that is planned but
not stored yet, because its chunk is still to be encoded, is answered when it is stored.

A request stamps the chunk's task row (``request_part``: the next worker that claims a chunk
of the video takes this one, ``claim_next_part``) and the ``AHEAD`` chunks after it at a
lower priority (a player or a download reading the rung in order finds them encoded), then
waits on one future per storage key, shared by every request for that segment: held
requests cost no thread and no polling of their own.

What resolves a key's future, in this API process:

- an event of the video on the bus (the event-log tailer, woken across processes by the
  wake-ups of ADR 0031): a part writes ``segments.stored`` right after it stores segments,
  the video failing or being deleted changes its state. Then the video's waiting keys are
  looked up in storage (one ``stat`` per key, not per request);
- a shared re-check every ``RECHECK`` seconds, one loop for every waiting key: wake-ups
  lost on the way, an event that could not be written.

A request not answered within ``VIDHOST_SEGMENT_WAIT_SECONDS`` (default 60) gets ``503
segment_not_ready`` with ``Retry-After``; the video failing meanwhile ``409 not_ready``,
deleted ``404 video_not_found``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import NotFound, NotReady
from vidhost.core.layout import AUDIO_RENDITION, parse_init_name, parse_segment_name
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import DomainEvent, present
from vidhost.core.ports import EventBus, ObjectInfo, Storage, TaskStore, VideoStore
from vidhost.http.errors import ApiError
from vidhost.processing.plans import PlanCache

log = logging.getLogger(__name__)

RECHECK = 1.0
"""Seconds between two looks at every waiting key (one loop for all): the fallback."""
RETRY_AFTER = 2
AHEAD = 2
"""Chunks after a requested one that are stamped too, each a notch below the one before:
a reader faster than real time (ffmpeg, curl, a download) finds them encoded."""

Gone = Literal["not_planned", "failed", "deleted"]
Outcome = ObjectInfo | Gone


@dataclass(eq=False)
class _Key:
    """One storage key some requests wait for: their shared future."""

    video_id: str
    key: str
    future: asyncio.Future[Outcome]
    waiting: int = 0


@dataclass
class _Video:
    keys: dict[str, _Key] = field(default_factory=dict)
    checking: bool = False
    again: bool = False


class SegmentWaiters:
    """Every held segment request of this API process (one per process, on the container:
    ``container.segment_waiters``). ``start``/``stop`` subscribe to the bus."""

    def __init__(
        self,
        videos: VideoStore,
        tasks: TaskStore,
        storage: Storage,
        plans: PlanCache,
        bus: EventBus,
        *,
        bound: float,
        recheck: float = RECHECK,
    ) -> None:
        self.videos = videos
        self.tasks = tasks
        self.storage = storage
        self.plans = plans
        self.bus = bus
        self.bound = bound
        self.recheck = recheck
        self._videos: dict[str, _Video] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._unsubscribe: object = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._unsubscribe = self.bus.subscribe(self._on_event)

    def stop(self) -> None:
        if callable(self._unsubscribe):
            self._unsubscribe()
        self._unsubscribe = None

    def waiting(self) -> int:
        """Requests held right now (for tests and metrics)."""
        return sum(k.waiting for v in self._videos.values() for k in v.keys.values())

    # --- a request -----------------------------------------------------------------------

    async def wait(self, video_id: str, name: str, key: str) -> ObjectInfo:
        """The stored segment ``name`` of the video once it is stored. Raises 404 (not
        planned, or the video deleted), 409 (the video failed) or 503 (past the bound)."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        self._loop = loop
        video = self._videos.setdefault(video_id, _Video())
        entry = video.keys.get(key)
        if entry is None:  # the first request for it: ask once for every request that joins
            entry = _Key(video_id, key, loop.create_future())
            video.keys[key] = entry
            task = loop.create_task(self._first_look(entry, name))
            task.add_done_callback(_log_failure)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = loop.create_task(self._sweep())
        entry.waiting += 1
        try:
            remaining = self.bound - (time.monotonic() - started)
            outcome = await asyncio.wait_for(asyncio.shield(entry.future), max(0.0, remaining))
        except TimeoutError:
            raise ApiError(
                503,
                "segment_not_ready",
                f"{name} is not encoded yet; retry in {RETRY_AFTER} s",
                headers={"Retry-After": str(RETRY_AFTER)},
            ) from None
        finally:
            entry.waiting -= 1
            if entry.waiting == 0 and not entry.future.done():
                self._forget(entry)
                entry.future.cancel()
        if outcome == "not_planned":
            raise ApiError(404, "segment_not_found", f"{name} not found")
        if outcome == "failed":
            raise NotReady("the video failed, not ready for streaming")
        if outcome == "deleted":
            raise NotFound("video not found", code="video_not_found")
        assert not isinstance(outcome, str)
        return outcome

    # --- resolving keys ----------------------------------------------------------------

    def _resolve(self, entry: _Key, outcome: Outcome) -> None:
        self._forget(entry)
        if not entry.future.done():
            entry.future.set_result(outcome)

    def _forget(self, entry: _Key) -> None:
        video = self._videos.get(entry.video_id)
        if video is not None and video.keys.get(entry.key) is entry:
            del video.keys[entry.key]
            if not video.keys:
                del self._videos[entry.video_id]

    async def _first_look(self, entry: _Key, name: str) -> None:
        status = await run_in_threadpool(self._ask, entry.video_id, name)
        info = await run_in_threadpool(self._stat, entry.key)  # it may have landed meanwhile
        if info is not None:
            self._resolve(entry, info)
        elif status is None or status is TaskStatus.COMPLETED:  # not planned, or gone
            self._resolve(entry, "not_planned")

    def _ask(self, video_id: str, name: str) -> TaskStatus | None:
        """Stamp the part's row (and the chunks after it); its status, None if not planned.
        A rendition's init segment (CMAF) is stored with its first segment: it is asked for
        as that one."""
        init = parse_init_name(name)
        parsed = (init, 0) if init is not None else parse_segment_name(name)
        plan = self.plans.get(video_id)
        if parsed is None or plan is None:
            return None
        rendition, index = parsed
        if rendition not in plan.rendition_names() or not 0 <= index < len(plan.segments):
            return None
        if rendition == AUDIO_RENDITION:
            kind, part, rung = TaskKind.TRANSCODE_AUDIO, 0, None
        else:
            chunk = plan.chunk_of(index)
            if chunk is None:
                return None
            kind, part, rung = TaskKind.TRANSCODE_CHUNK, chunk.index, rendition
        ahead = AHEAD if kind is TaskKind.TRANSCODE_CHUNK else 0
        self.tasks.request_part(video_id, kind, part, rung, ahead=ahead)
        row = self.tasks.get_task(video_id, kind, part=part)
        return None if row is None else row.status

    def _stat(self, key: str) -> ObjectInfo | None:
        try:
            return self.storage.stat(key)
        except FileNotFoundError:
            return None

    def _look(self, video_id: str, keys: list[str]) -> tuple[Gone | None, dict[str, ObjectInfo]]:
        """Blocking: the video's fate (None while ready) and which of ``keys`` are stored."""
        row = self.videos.get_video(video_id)
        if not present(row):
            return "deleted", {}
        if row.state is not VideoState.READY:
            return "failed", {}
        found = {}
        for key in keys:
            info = self._stat(key)
            if info is not None:
                found[key] = info
        return None, found

    async def _check(self, video_id: str) -> None:
        """Look up the video's waiting keys; coalesced (a wake during a look looks again)."""
        video = self._videos.get(video_id)
        if video is None:
            return
        if video.checking:
            video.again = True
            return
        video.checking = True
        try:
            while True:
                video.again = False
                keys = list(video.keys.values())
                if not keys:
                    return
                gone, found = await run_in_threadpool(self._look, video_id, [k.key for k in keys])
                for entry in keys:
                    if gone is not None:
                        self._resolve(entry, gone)
                    elif entry.key in found:
                        self._resolve(entry, found[entry.key])
                if not video.again:
                    return
        finally:
            video.checking = False

    async def _sweep(self) -> None:
        """The fallback: every ``recheck`` s, every video with waiting keys, until none."""
        while self._videos:
            await asyncio.sleep(self.recheck)
            for video_id in list(self._videos):
                try:
                    await self._check(video_id)
                except Exception as exc:  # storage or database hiccup: the next round
                    log.warning("held segments of %s: look-up failed (%s)", video_id, exc)

    def _on_event(self, event: DomainEvent) -> None:
        """Bus listener (the tailer's thread): a change of a video some request waits for."""
        loop = self._loop
        if loop is None or event.video_id not in self._videos:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the process is stopping
            loop.call_soon_threadsafe(self._wake, event.video_id)

    def _wake(self, video_id: str) -> None:
        if video_id in self._videos:
            task = asyncio.get_running_loop().create_task(self._check(video_id))
            task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("held segment look-up failed: %s", task.exception())
