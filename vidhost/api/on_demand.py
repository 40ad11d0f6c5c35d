"""Segments served on demand (ADR 0061): a ready video's segment that is planned but not
stored yet, because its chunk is still to be encoded.

The request stamps the chunk's task row (``request_part``), so the next worker that claims a
chunk of the video takes this one (``claim_next_part``), then polls storage with a ``stat``
every ``POLL`` seconds (it works across API nodes and with S3, and holds no thread while it
sleeps) until the segment is stored, for at most ``VIDHOST_SEGMENT_WAIT_SECONDS``. Not
stored by then: ``503 segment_not_ready`` with ``Retry-After``. The video failing meanwhile
(a later chunk's media error): ``409 not_ready``.
"""

from __future__ import annotations

import asyncio
import time

from starlette.concurrency import run_in_threadpool

from vidhost.api.errors import ApiError
from vidhost.domain.errors import NotReady
from vidhost.domain.layout import AUDIO_RENDITION, parse_segment_name
from vidhost.domain.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.domain.ports import ObjectInfo
from vidhost.wiring import Container

POLL = 0.1
"""Seconds between two looks at storage while a request waits."""
CHECK_EVERY = 10
"""Polls between two looks at the video's state (it may fail while we wait)."""
RETRY_AFTER = 2


def _part_of(
    container: Container, video_id: str, name: str
) -> tuple[TaskKind, int, str | None] | None:
    """The task part that stores segment ``name`` and the rung a request for it names (None
    for the audio); None if the plan names no such segment."""
    parsed = parse_segment_name(name)
    plan = container.plans.get(video_id)
    if parsed is None or plan is None:
        return None
    rendition, index = parsed
    if rendition not in plan.rendition_names() or not 0 <= index < len(plan.segments):
        return None
    if rendition == AUDIO_RENDITION:
        return TaskKind.TRANSCODE_AUDIO, 0, None
    chunk = plan.chunk_of(index)
    return None if chunk is None else (TaskKind.TRANSCODE_CHUNK, chunk.index, rendition)


def _stat(container: Container, key: str) -> ObjectInfo | None:
    try:
        return container.storage.stat(key)
    except FileNotFoundError:
        return None


def _ask(container: Container, video_id: str, name: str) -> TaskStatus | None:
    """Stamp the part's row (its chunk is encoded next); its status, None if none."""
    part = _part_of(container, video_id, name)
    if part is None:
        return None
    kind, index, rendition = part
    repo = container.repo
    repo.request_part(video_id, kind, index, rendition)
    row = repo.get_task(video_id, kind, part=index)
    return None if row is None else row.status


def _still_ready(container: Container, video_id: str) -> None:
    video = container.repo.get_video(video_id)
    if video is None or video.state is not VideoState.READY:
        state = video.state.value if video else "deleted"
        raise NotReady(f"video is {state}, not ready for streaming")


async def wait_for_segment(container: Container, video_id: str, name: str, key: str) -> ObjectInfo:
    """The stored segment, once its chunk is encoded; 404, 409 or 503 otherwise."""
    status = await run_in_threadpool(_ask, container, video_id, name)
    info = await run_in_threadpool(_stat, container, key)  # it may have landed meanwhile
    if info is not None:
        return info
    if status is None or status is TaskStatus.COMPLETED:  # not planned, or gone
        raise ApiError(404, "not_found", f"{name} not found")
    deadline = time.monotonic() + container.settings.segment_wait_seconds
    polls = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
        info = await run_in_threadpool(_stat, container, key)
        if info is not None:
            return info
        polls += 1
        if polls % CHECK_EVERY == 0:
            await run_in_threadpool(_still_ready, container, video_id)
    raise ApiError(
        503,
        "segment_not_ready",
        f"{name} is not encoded yet; retry in {RETRY_AFTER} s",
        headers={"Retry-After": str(RETRY_AFTER)},
    )
