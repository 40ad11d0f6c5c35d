"""Runs one task of one video: claim, heartbeat, progress, completion or failure.

Every claim carries a fence token (``claim_task``). The heartbeat, each progress report and
the final status are written only while that token still holds the claim: a worker that lost
its claim (it stalled past ``stale_after`` and someone else took the task over) has its late
writes refused, and the handler is stopped at its next progress report (``ClaimLost``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from vidhost.domain.errors import CodedError
from vidhost.domain.lifecycle import INTERNAL_KINDS, TaskKind, TaskStatus, VideoState
from vidhost.domain.models import Video, utcnow
from vidhost.domain.services import VideoService
from vidhost.media.errors import MediaError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
Handler = Callable[["TaskContext"], None]
Hook = Callable[["TaskContext"], None]
FailureHook = Callable[["TaskContext", str, str], None]


class ClaimLost(Exception):
    """The task was taken over by another worker: stop, write nothing more."""


class TaskContinues(Exception):
    """Raised by a handler whose task goes on in other tasks (its parts): the row stays
    ``processing`` and whoever finishes the last part completes it."""


def _never_lost() -> None:
    return None


@dataclass
class TaskContext:
    video: Video
    kind: TaskKind
    progress: ProgressFn
    part: int = 0
    check_claim: Callable[[], None] = field(default=_never_lost)
    """Raises ``ClaimLost`` if this worker no longer holds the claim (call before writing)."""

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


class _Claim:
    """One claim of one task row: its fence token, and whether it is known to be lost."""

    def __init__(self, service: VideoService, video_id: str, kind: TaskKind, part: int, token: str):
        self.service = service
        self.video_id = video_id
        self.kind = kind
        self.part = part
        self.token = token
        self.lost = threading.Event()

    def beat(self) -> None:
        repo = self.service.repo
        if not repo.heartbeat(self.video_id, self.kind, part=self.part, token=self.token):
            self.lost.set()
        elif self.kind in INTERNAL_KINDS:
            # A part at work keeps the task it belongs to alive (no needless re-run of it).
            repo.heartbeat(self.video_id, TaskKind.TRANSCODE)

    def check(self) -> None:
        """Raise ``ClaimLost`` if the claim was taken over or the video deleted meanwhile."""
        if not self.lost.is_set():
            self.beat()
        if self.lost.is_set():
            raise ClaimLost(f"{self.kind} {self.part} of {self.video_id} was taken over")
        video = self.service.repo.get_video(self.video_id)
        if video is None or video.state is VideoState.DELETED:
            self.lost.set()
            raise ClaimLost(f"{self.video_id} was deleted")

    def report(
        self,
        status: TaskStatus,
        progress: float,
        *,
        error_code: str | None = None,
        error: str | None = None,
    ) -> bool:
        accepted = self.service.report_task(
            self.video_id,
            self.kind,
            status,
            progress,
            error_code=error_code,
            error=error,
            part=self.part,
            token=self.token,
        )
        if not accepted:
            self.lost.set()
        return accepted


class ProgressReporter:
    """Writes progress to the task row (and so emits events) at most every ``interval`` s.

    With a claim, a lost claim raises ``ClaimLost`` (which stops ffmpeg)."""

    def __init__(
        self,
        service: VideoService,
        video_id: str,
        kind: TaskKind,
        interval: float = 0.5,
        claim: _Claim | None = None,
    ) -> None:
        self.service = service
        self.video_id = video_id
        self.kind = kind
        self.interval = interval
        self.claim = claim
        self._last_time = 0.0
        self._last_value = -1.0

    def __call__(self, percent: float) -> None:
        if self.claim is not None and self.claim.lost.is_set():
            raise ClaimLost("the claim was lost")
        percent = max(0.0, min(99.9, percent))
        now = time.monotonic()
        if percent <= self._last_value or (
            now - self._last_time < self.interval and percent - self._last_value < 5
        ):
            return
        self._last_time = now
        self._last_value = percent
        if self.claim is not None:
            if not self.claim.report(TaskStatus.PROCESSING, percent):
                raise ClaimLost("the claim was lost")
        else:
            self.service.report_task(self.video_id, self.kind, TaskStatus.PROCESSING, percent)


class TaskRunner:
    def __init__(
        self,
        service: VideoService,
        handlers: Mapping[TaskKind, Handler],
        *,
        stale_after: float,
        on_completed: Mapping[TaskKind, Hook] | None = None,
        on_failed: Mapping[TaskKind, FailureHook] | None = None,
        resumable: frozenset[TaskKind] = frozenset({TaskKind.TRANSCODE}),
        interchangeable: frozenset[TaskKind] = frozenset({TaskKind.TRANSCODE_CHUNK}),
    ) -> None:
        self.service = service
        self.handlers = handlers
        self.stale_after = stale_after
        self.on_completed = dict(on_completed or {})
        """Called after a task's completion was accepted (e.g. a chunk: count the stored)."""
        self.on_failed = dict(on_failed or {})
        """Called after a task's failure was recorded (e.g. a chunk: fail the video)."""
        self.resumable = resumable
        """Kinds that resume where they were when claimed again (their progress is kept)."""
        self.interchangeable = interchangeable
        """Kinds whose parts are interchangeable units of work: a run claims the part of the
        video most wanted at claim time (``claim_next_part``), whichever part it was sent for."""
        self._claimed = threading.local()

    def claimed_part(self, default: int) -> int:
        """The part this thread's last ``run`` worked on (for an interchangeable kind, not
        necessarily the one its message named): metrics measure that part's media."""
        return int(getattr(self._claimed, "part", default))

    def run(self, video_id: str, kind_name: str, part: int = 0) -> TaskStatus | None:
        """Run the task if nobody else is; returns its final status, None if skipped (taken,
        done, or the claim was lost while running). ``processing``: it goes on in its parts."""
        kind = TaskKind(kind_name)
        repo = self.service.repo
        stale_before = utcnow() - timedelta(seconds=self.stale_after)
        resumes = kind in self.resumable
        token: str | None
        if kind in self.interchangeable:
            # ADR 0061: the message names a chunk, the claim takes the one most wanted now.
            picked = repo.claim_next_part(video_id, kind, stale_before=stale_before)
            part, token = picked if picked is not None else (part, None)
        else:
            token = repo.claim_task(
                video_id, kind, stale_before=stale_before, part=part, keep_progress=resumes
            )
        self._claimed.part = part
        if token is None:
            log.info("%s %s for %s is taken or done; skipping", kind, part, video_id)
            return None
        claim = _Claim(self.service, video_id, kind, part, token)
        video = repo.get_video(video_id)
        if video is None or video.state is VideoState.DELETED:
            claim.report(TaskStatus.FAILED, 0.0, error_code="video_deleted", error="deleted")
            return TaskStatus.FAILED
        row = repo.get_task(video_id, kind, part=part) if resumes else None
        if not claim.report(TaskStatus.PROCESSING, row.progress if row else 0.0):
            return None
        ctx = TaskContext(
            video,
            kind,
            ProgressReporter(self.service, video_id, kind, claim=claim),
            part=part,
            check_claim=claim.check,
        )
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(claim, stop), name="heartbeat", daemon=True
        )
        beat.start()
        try:
            self.handlers[kind](ctx)
        except TaskContinues:
            return TaskStatus.PROCESSING
        except ClaimLost:
            log.warning("%s %s for %s: claim lost, result dropped", kind, part, video_id)
            return None
        except CodedError as exc:
            log.warning("%s %s for %s failed: %s %s", kind, part, video_id, exc.code, exc.message)
            return self._failed(ctx, claim, exc.code, exc.message)
        except Exception as exc:
            log.exception("%s %s for %s crashed", kind, part, video_id)
            return self._failed(
                ctx,
                claim,
                "internal_error",
                f"internal error ({type(exc).__name__}; details in the server log)",
            )
        finally:
            stop.set()
        if not claim.report(TaskStatus.COMPLETED, 100.0):
            log.warning("%s %s for %s: claim lost, completion refused", kind, part, video_id)
            return None
        self._call(self.on_completed.get(kind), ctx)
        return TaskStatus.COMPLETED

    def _failed(
        self, ctx: TaskContext, claim: _Claim, code: str, message: str
    ) -> TaskStatus | None:
        if not claim.report(TaskStatus.FAILED, 0.0, error_code=code, error=message):
            return None
        failed = self.on_failed.get(ctx.kind)
        self._call(None if failed is None else lambda c: failed(c, code, message), ctx)
        return TaskStatus.FAILED

    def _call(self, hook: Hook | None, ctx: TaskContext) -> None:
        """A hook's error is logged: the task's own outcome is already recorded."""
        if hook is None:
            return
        try:
            hook(ctx)
        except Exception:
            log.exception("after %s %s of %s", ctx.kind, ctx.part, ctx.video.id)

    def _beat(self, claim: _Claim, stop: threading.Event) -> None:
        interval = max(0.5, self.stale_after / 4)
        while not stop.wait(interval):
            try:
                claim.beat()
            except Exception:
                log.exception("heartbeat failed")
