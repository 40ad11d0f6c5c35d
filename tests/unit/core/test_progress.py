"""``vidhost.core.progress``: a video's progress is its ladder's, never its state."""

from __future__ import annotations

from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Task, Video
from vidhost.core.progress import ladder_percent, task_percent, transcode_of


def _transcode(status: TaskStatus, progress: float) -> Task:
    return Task("v1", TaskKind.TRANSCODE, 0, status, progress)


def test_a_ready_video_reads_its_ladders_figure_and_100_only_once_the_ladder_is_stored() -> None:
    ready = Video(id="v1", owner="a", state=VideoState.READY)
    assert ladder_percent(ready, _transcode(TaskStatus.PROCESSING, 8.333)) == 8.3
    assert ladder_percent(ready, _transcode(TaskStatus.PROCESSING, 99.96)) == 99.9
    assert ladder_percent(ready, _transcode(TaskStatus.PROCESSING, 100.0)) == 99.9
    assert ladder_percent(ready, _transcode(TaskStatus.COMPLETED, 100.0)) == 100.0
    assert ladder_percent(ready, None) == 100.0  # nothing left that could report
    processing = Video(id="v1", owner="a", state=VideoState.PROCESSING)
    assert ladder_percent(processing, None) == 0.0


def test_task_percent_and_the_transcode_among_tasks() -> None:
    assert task_percent("completed", 3.0) == 100.0
    assert task_percent(TaskStatus.PENDING, None) == 0.0
    assert task_percent("processing", -1.0) == 0.0
    other = Task("v1", TaskKind.THUMBNAILS, 0, TaskStatus.COMPLETED, 100.0)
    transcode = _transcode(TaskStatus.PROCESSING, 5.0)
    assert transcode_of([other, transcode]) is transcode
    assert transcode_of([other]) is None
