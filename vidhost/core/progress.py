"""A video's progress: how much of its HLS ladder is stored, never its state.

A video is ``ready`` (it plays now) once the start of its ladder is stored (ADR 0062); the
rest is encoded afterwards, ahead of the player or on demand (ADR 0061). Its progress is the
``transcode`` task's figure (stored segments / planned segments, ``LadderProgress.update``,
forward-only), so it reads well under 100 at ``ready`` and 100 only once every segment of
every rendition is stored (the task ``completed``). Every surface shows this one figure: the
native status and sockets, the Mux asset's ``progress`` and Cloudflare's ``pctComplete``.
"""

from __future__ import annotations

from collections.abc import Iterable

from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Task, Video

ALMOST = 99.9
"""The most a task that is not completed shows: rounding never makes it read 100."""


def task_percent(status: TaskStatus | str, progress: float | None) -> float:
    """A task's 0-100 figure, one decimal: 100 once (and only once) the task is completed."""
    if str(status) == TaskStatus.COMPLETED.value:
        return 100.0
    return min(ALMOST, round(max(0.0, float(progress or 0.0)), 1))


def transcode_of(tasks: Iterable[Task]) -> Task | None:
    """The ``transcode`` task among a video's tasks (the one that ends with the ladder)."""
    return next((t for t in tasks if t.kind is TaskKind.TRANSCODE), None)


def ladder_percent(video: Video, transcode: Task | None) -> float:
    """The video's progress, 0-100: the share of its ladder stored. A ready video without a
    ``transcode`` row (nothing left that could report) is 100."""
    if transcode is None:
        return 100.0 if video.state is VideoState.READY else 0.0
    return task_percent(transcode.status, transcode.progress)


def ladder_stored(video: Video, transcode: Task | None) -> bool:
    """Is every rendition of a ready video stored (its ladder at 100)?"""
    return video.state is VideoState.READY and ladder_percent(video, transcode) >= 100.0
