"""The ladder's progress: stored parts counted, the start makes the video ready, the
last part completes the transcode; a part that fails twice fails the video."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Video, utcnow
from vidhost.core.ports import Storage, TaskStore
from vidhost.core.scheduling import (
    retries,
)
from vidhost.core.segments import (
    SegmentPlan,
)
from vidhost.core.videos import VideoService
from vidhost.media.errors import (
    INPUT_ERRORS,
    MediaError,
)
from vidhost.processing.runner import (
    TaskContext,
)
from vidhost.processing.transcode.config import (
    PARTS,
)
from vidhost.processing.transcode.measured import Publish, renditions_of, store_measured
from vidhost.processing.transcode.sources import load_plan

log = logging.getLogger(__name__)


def fail_video(service: VideoService, video: Video, exc: MediaError) -> None:
    """A media error fails the video; one that is about the input also drops its bytes."""
    if exc.code in INPUT_ERRORS:
        service.reject_source(video, exc.code, exc.message)
    else:
        service.change_state(
            video, VideoState.FAILED, error_code=exc.code, error_message=exc.message
        )


FinishedHook = Callable[[str, float, float | None], None]
"""``(outcome, seconds since the transcode was created, seconds of media or None)``."""


class LadderProgress:
    """Counts the stored parts of a video's ladder; the last one makes the video ready.

    ``on_finished`` hears of each transcode that ends (completed or failed) here, since the
    ``transcode`` task ends with its last part, not with a run of its own (metrics)."""

    def __init__(
        self,
        service: VideoService,
        tasks: TaskStore,
        storage: Storage,
        on_finished: FinishedHook | None = None,
        measure_quality: bool = False,
        publish: Publish | None = None,
    ) -> None:
        """``measure_quality``: once the ladder is stored, start its quality measurement
        (``quality_measurement``, ADR 0045); ``publish``: writes the measured master with
        the video's text tracks (``Captions.publish``, ADR 0068)."""
        self.service = service
        self.publish = publish
        self.measure_quality = measure_quality
        self.tasks = tasks
        self.storage = storage
        self.on_finished = on_finished

    def _finished(self, video_id: str, outcome: str, media_seconds: float | None) -> None:
        if self.on_finished is None:
            return
        row = self.tasks.get_task(video_id, TaskKind.TRANSCODE)
        if row is not None:
            elapsed = (utcnow() - row.created_at).total_seconds()
            self.on_finished(outcome, max(0.0, elapsed), media_seconds)

    def part_done(self, ctx: TaskContext) -> None:
        try:
            self.update(ctx.video.id)
        except MediaError:  # no plan: the video was deleted meanwhile
            log.info("parts of %s: no plan any more", ctx.video.id)

    def part_failed(self, ctx: TaskContext, code: str, message: str) -> None:
        """A part that fails runs once more (any worker); failing again fails the video."""
        video = self.service.find(ctx.video.id)
        if video is None or video.state not in (VideoState.PROCESSING, VideoState.READY):
            return  # deleted, or failed already (by another part); a ready video can fail
        row = self.tasks.get_task(video.id, ctx.kind, part=ctx.part)
        if row is not None and retries(row.attempts, code):
            retried = self.service.report_task(
                video.id,
                ctx.kind,
                TaskStatus.PENDING,
                0.0,
                part=ctx.part,
                only_if=TaskStatus.FAILED,
            )
            if retried:
                log.info("%s %s of %s failed (%s); once more", ctx.kind, ctx.part, video.id, code)
                self.service.dispatch_again(video.id, ctx.kind, ctx.part)
                return
        fail_video(self.service, video, MediaError(code, message))
        if self.service.report_task(
            video.id,
            TaskKind.TRANSCODE,
            TaskStatus.FAILED,
            0.0,
            error_code=code,
            error=message,
            only_if=TaskStatus.PROCESSING,
        ):
            self._finished(video.id, TaskStatus.FAILED.value, None)

    def update(self, video_id: str) -> bool:
        """Report stored / planned segments on the ``transcode`` row; True once all are."""
        plan = load_plan(self.storage, video_id)
        rows = self.tasks.list_parts(video_id, PARTS)
        done = {
            t.part
            for t in rows
            if t.kind is TaskKind.TRANSCODE_CHUNK and t.status is TaskStatus.COMPLETED
        }
        audio_done = any(
            t.kind is TaskKind.TRANSCODE_AUDIO and t.status is TaskStatus.COMPLETED for t in rows
        )
        stored = plan.stored_segments(done, audio_done)
        planned = plan.planned_segments()
        video = self.service.find(video_id)
        if video is None:
            return False
        if video.state is VideoState.PROCESSING and self._start_stored(
            video_id, plan, done, audio_done
        ):
            self._ready(video, plan)  # ready early: the rest is encoded ahead or on demand
            video = self.service.find(video_id) or video
        if stored < planned:
            self.service.report_task(
                video_id,
                TaskKind.TRANSCODE,
                TaskStatus.PROCESSING,
                min(99.9, 100.0 * stored / planned),
                only_if=TaskStatus.PROCESSING,
                forward=True,  # parts finishing at once count a moment apart
            )
            return False
        if video.state is not VideoState.READY:
            return True
        row = self.tasks.get_task(video_id, TaskKind.TRANSCODE)
        if row is not None and row.status is TaskStatus.PROCESSING:
            # every segment is stored: the master advertises what they measure (ADR 0045);
            # a failure keeps the planned figures, never the ladder from completing
            try:
                store_measured(self.service, self.storage, video_id, plan, self.publish)
            except Exception:
                log.exception("measuring the rates of %s failed; planned figures kept", video_id)
        if self.service.report_task(
            video_id,
            TaskKind.TRANSCODE,
            TaskStatus.COMPLETED,
            100.0,
            only_if=TaskStatus.PROCESSING,
        ):
            self._finished(video_id, TaskStatus.COMPLETED.value, plan.duration)
            if self.measure_quality and plan.renditions:
                # after the whole ladder, at background priority: never before ready
                self.service.start_tasks(video_id, [TaskKind.QUALITY_MEASUREMENT])
        return True

    def _start_stored(
        self, video_id: str, plan: SegmentPlan, done: set[int], audio_done: bool
    ) -> bool:
        """Are the plan's ``start_segments`` stored? Those of a completed part are; the
        others (parts store as they go, ADR 0062) are looked up."""
        try:
            self.storage.stat(layout.poster_key(video_id))  # the first chunk renders it
        except FileNotFoundError:
            return False
        prefix = layout.hls_prefix(video_id)
        stored: set[str] = set()
        for name in plan.start_segments():
            audio = name.startswith(layout.AUDIO_RENDITION + "_")
            if not ((audio and audio_done) or (not audio and 0 in done)):
                try:
                    self.storage.stat(prefix + name)
                except FileNotFoundError:
                    return False
            stored.add(name)
        return plan.playable(stored)

    def _ready(self, video: Video, plan: SegmentPlan) -> None:
        video_id = video.id
        renditions = renditions_of(plan)
        self.service.change_state(
            dataclasses.replace(video),
            VideoState.READY,
            renditions=renditions,
            manifest_key=layout.master_key(video_id),
            poster_key=layout.poster_key(video_id),
            error_code=None,
            error_message=None,
        )
