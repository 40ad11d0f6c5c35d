"""Runs one task of one video: claim, heartbeat, progress, completion or failure."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from vidhost.domain.errors import CodedError
from vidhost.domain.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.domain.models import Video, utcnow
from vidhost.domain.services import VideoService
from vidhost.media.errors import MediaError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
Handler = Callable[["TaskContext"], None]


@dataclass
class TaskContext:
    video: Video
    kind: TaskKind
    progress: ProgressFn

    @property
    def source_key(self) -> str:
        """The uploaded source every task reads; ``no_source`` when there is none."""
        if self.video.source_key is None:
            raise MediaError("no_source", "the video has no uploaded source")
        return self.video.source_key


class TaskFailed(CodedError):
    code = "task_failed"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.args = (code, message)


class ProgressReporter:
    """Writes progress to the task row (and so emits events) at most every ``interval`` s."""

    def __init__(
        self, service: VideoService, video_id: str, kind: TaskKind, interval: float = 0.5
    ) -> None:
        self.service = service
        self.video_id = video_id
        self.kind = kind
        self.interval = interval
        self._last_time = 0.0
        self._last_value = -1.0

    def __call__(self, percent: float) -> None:
        percent = max(0.0, min(99.9, percent))
        now = time.monotonic()
        if percent <= self._last_value or (
            now - self._last_time < self.interval and percent - self._last_value < 5
        ):
            return
        self._last_time = now
        self._last_value = percent
        self.service.report_task(self.video_id, self.kind, TaskStatus.PROCESSING, percent)


class TaskRunner:
    def __init__(
        self,
        service: VideoService,
        handlers: Mapping[TaskKind, Handler],
        *,
        stale_after: float,
    ) -> None:
        self.service = service
        self.handlers = handlers
        self.stale_after = stale_after

    def run(self, video_id: str, kind_name: str) -> TaskStatus | None:
        """Run the task if nobody else is; returns its final status, None if skipped."""
        kind = TaskKind(kind_name)
        repo = self.service.repo
        stale_before = utcnow() - timedelta(seconds=self.stale_after)
        if not repo.claim_task(video_id, kind, stale_before=stale_before):
            log.info("%s for %s is taken or done; skipping", kind, video_id)
            return None
        video = repo.get_video(video_id)
        if video is None or video.state is VideoState.DELETED:
            self.service.report_task(
                video_id, kind, TaskStatus.FAILED, 0.0, error_code="video_deleted", error="deleted"
            )
            return TaskStatus.FAILED
        self.service.report_task(video_id, kind, TaskStatus.PROCESSING, 0.0)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(video_id, kind, stop), name="heartbeat", daemon=True
        )
        beat.start()
        try:
            self.handlers[kind](
                TaskContext(video, kind, ProgressReporter(self.service, video_id, kind))
            )
        except CodedError as exc:
            log.warning("%s for %s failed: %s %s", kind, video_id, exc.code, exc.message)
            self.service.report_task(
                video_id, kind, TaskStatus.FAILED, 0.0, error_code=exc.code, error=exc.message
            )
            return TaskStatus.FAILED
        except Exception as exc:
            log.exception("%s for %s crashed", kind, video_id)
            self.service.report_task(
                video_id,
                kind,
                TaskStatus.FAILED,
                0.0,
                error_code="internal_error",
                error=f"internal error ({type(exc).__name__}; details in the server log)",
            )
            return TaskStatus.FAILED
        finally:
            stop.set()
        self.service.report_task(video_id, kind, TaskStatus.COMPLETED, 100.0)
        return TaskStatus.COMPLETED

    def _beat(self, video_id: str, kind: TaskKind, stop: threading.Event) -> None:
        interval = max(0.5, self.stale_after / 4)
        while not stop.wait(interval):
            try:
                self.service.repo.heartbeat(video_id, kind)
            except Exception:
                log.exception("heartbeat failed")
