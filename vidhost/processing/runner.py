"""Runs one task of one video: claim, heartbeat, progress, completion or failure.

Every claim carries a fence token (``claim_task``). The heartbeat, each progress report and
the final status are written only while that token still holds the claim: a worker that lost
its claim (it stalled past ``stale_after`` and someone else took the task over) has its late
writes refused, and the handler is stopped at its next progress report (``ClaimLost``).

Recovery (ADR 0073): a message whose claim is refused because another worker holds the task
is not simply dropped. The worker stands by for at most one stale window: if the holder's
heartbeat stops moving (it died; this is the broker's redelivery of its message) it takes the
task over the moment the heartbeat is stale; if the heartbeat moves, or the task ends, the
message was a duplicate and ends. An ffmpeg killed from outside (``INTERRUPTIONS``) is no
verdict on the media: the task is queued again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from vidhost.core.errors import CodedError
from vidhost.core.lifecycle import INTERNAL_KINDS, TaskKind, TaskStatus
from vidhost.core.models import Video, present, utcnow
from vidhost.core.ports import TaskStore
from vidhost.core.videos import VideoService
from vidhost.media.errors import INTERRUPTIONS, MediaError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
Handler = Callable[["TaskContext"], None]
Hook = Callable[["TaskContext"], None]
FailureHook = Callable[["TaskContext", str, str], None]


class ClaimLost(Exception):
    """The task was taken over by another worker: stop, write nothing more."""


class TaskYields(Exception):
    """Raised by a handler that gives its claim back before it is done, because work a
    player waits for has no worker free (ADR 0064): the row goes back to ``pending`` (the
    run not counted as an attempt, the request it served dropped, so it ranks behind the
    part it gave way to) and is queued again; what it stored stays stored."""


class TaskContinues(Exception):
    """Raised by a handler whose task goes on in other tasks (its parts): the row stays
    ``processing`` and whoever finishes the last part completes it."""


def forget_if_deleted(service: VideoService, video_id: str) -> None:
    """Called by every task after it wrote something of the video's (segments, playlists,
    the poster, metadata, the enhanced file): if the video was deleted meanwhile, the
    delete's own removal may have run before these writes, so remove everything of the video
    again and stop (``ClaimLost``). The delete marks the video before it removes, so either
    this check sees the mark or the write came before the removal: nothing is left
    (ADR 0061)."""
    if not present(service.find(video_id)):
        service.remove_stored(video_id)
        raise ClaimLost(f"{video_id} was deleted while its outputs were stored")


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


RERUN_ATTEMPTS = 5
"""An interrupted task (ffmpeg killed from outside) runs again until it was claimed this
many times; then the interruption counts as its failure."""


class TaskFailed(CodedError):
    code = "task_failed"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.args = (code, message)


class _Claim:
    """One claim of one task row: its fence token, and whether it is known to be lost."""

    def __init__(
        self,
        service: VideoService,
        tasks: TaskStore,
        video_id: str,
        kind: TaskKind,
        part: int,
        token: str,
    ):
        self.service = service
        self.tasks = tasks
        self.video_id = video_id
        self.kind = kind
        self.part = part
        self.token = token
        self.lost = threading.Event()

    def beat(self) -> None:
        tasks = self.tasks
        if not tasks.heartbeat(self.video_id, self.kind, part=self.part, token=self.token):
            self.lost.set()
        elif self.kind in INTERNAL_KINDS:
            # A part at work keeps the task it belongs to alive (no needless re-run of it).
            tasks.heartbeat(self.video_id, TaskKind.TRANSCODE)

    def check(self) -> None:
        """Raise ``ClaimLost`` if the claim was taken over or the video deleted meanwhile."""
        if not self.lost.is_set():
            self.beat()
        if self.lost.is_set():
            raise ClaimLost(f"{self.kind} {self.part} of {self.video_id} was taken over")
        if not present(self.service.find(self.video_id)):
            self.lost.set()
            raise ClaimLost(f"{self.video_id} was deleted")

    def report(
        self,
        status: TaskStatus,
        progress: float,
        *,
        error_code: str | None = None,
        error: str | None = None,
        give_back: bool = False,
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
            give_back=give_back,
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
        tasks: TaskStore,
        handlers: Mapping[TaskKind, Handler],
        *,
        stale_after: float,
        on_completed: Mapping[TaskKind, Hook] | None = None,
        on_failed: Mapping[TaskKind, FailureHook] | None = None,
        resumable: frozenset[TaskKind] = frozenset({TaskKind.TRANSCODE}),
        interchangeable: frozenset[TaskKind] = frozenset({TaskKind.TRANSCODE_CHUNK}),
        heartbeat_interval: float = 1.0,
    ) -> None:
        self.service = service
        self.tasks = tasks
        """The task rows: claims, heartbeats, the holder a duplicate watches."""
        self.handlers = handlers
        self.stale_after = stale_after
        self.heartbeat_interval = heartbeat_interval
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
        done, or the claim was lost while running). ``processing``: it goes on in its parts;
        ``pending``: it was interrupted and is queued again."""
        kind = TaskKind(kind_name)
        tasks = self.tasks
        stale_before = utcnow() - timedelta(seconds=self.stale_after)
        resumes = kind in self.resumable
        token: str | None
        if kind in self.interchangeable:
            # ADR 0061: the message names a chunk, the claim takes the one most wanted now.
            picked = tasks.claim_next_part(video_id, kind, stale_before=stale_before)
            part, token = picked if picked is not None else (part, None)
        else:
            token = tasks.claim_task(
                video_id, kind, stale_before=stale_before, part=part, keep_progress=resumes
            )
        if token is None and kind in self.interchangeable:
            part = self._part_to_watch(video_id, kind, part)
        self._claimed.part = part
        if token is None:
            token = self._stand_by(video_id, kind, part, keep_progress=resumes)
        if token is None:
            return None
        claim = _Claim(self.service, tasks, video_id, kind, part, token)
        video = self.service.find(video_id)
        if not present(video):
            claim.report(TaskStatus.FAILED, 0.0, error_code="video_deleted", error="deleted")
            return TaskStatus.FAILED
        row = tasks.get_task(video_id, kind, part=part) if resumes else None
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
        except TaskYields:
            if not claim.report(TaskStatus.PENDING, 0.0, give_back=True):
                return None  # taken over meanwhile: the new holder runs it
            self._queue(claim)
            log.info("%s %s for %s gave its worker back; queued again", kind, part, video_id)
            return TaskStatus.PENDING
        except ClaimLost:
            log.warning("%s %s for %s: claim lost, result dropped", kind, part, video_id)
            return None
        except CodedError as exc:
            log.warning("%s %s for %s failed: %s %s", kind, part, video_id, exc.code, exc.message)
            if exc.code in INTERRUPTIONS and self._rerun(claim):
                return TaskStatus.PENDING
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

    def _part_to_watch(self, video_id: str, kind: TaskKind, part: int) -> int:
        """Nothing of an interchangeable kind was claimable: watch the part the message named
        if it is at work, else the one at work whose heartbeat is oldest (a redelivered
        message of a dead holder need not name the part that holder was encoding)."""
        at_work = [
            t for t in self.tasks.list_parts(video_id, [kind]) if t.status is TaskStatus.PROCESSING
        ]
        if not at_work or any(t.part == part for t in at_work):
            return part
        oldest = min(at_work, key=lambda t: (t.heartbeat_at is not None, t.heartbeat_at or 0))
        return oldest.part

    def _stand_by(
        self, video_id: str, kind: TaskKind, part: int, *, keep_progress: bool
    ) -> str | None:
        """The claim was refused: someone holds the task, or it is done. Watch the holder's
        heartbeat for at most one stale window (and a margin): take the task over when it
        goes stale (a redelivered message of a dead holder), end when it moves or the task
        ends (a duplicate). The claim token, or None when this message is done with."""
        tasks = self.tasks
        row = tasks.get_task(video_id, kind, part=part)
        if row is None or row.status is not TaskStatus.PROCESSING:
            log.info("%s %s for %s is done or queued again; skipping", kind, part, video_id)
            return None
        if kind not in INTERNAL_KINDS and any(
            p.status in (TaskStatus.PENDING, TaskStatus.PROCESSING)
            for p in tasks.list_parts(video_id, sorted(INTERNAL_KINDS))
        ):
            log.info("%s for %s goes on in its parts; skipping", kind, video_id)
            return None
        seen_beat, seen_token = row.heartbeat_at, row.claim_token
        tasks.hold_dispatch(video_id, kind, part=part)  # no reconciler copy while we watch
        deadline = time.monotonic() + 2 * self.stale_after + 1
        while time.monotonic() < deadline:
            wait = self.heartbeat_interval
            if seen_beat is not None:
                until_stale = (seen_beat - utcnow()).total_seconds() + self.stale_after
                wait = min(wait, max(0.05, until_stale + 0.05))
            time.sleep(wait)
            row = tasks.get_task(video_id, kind, part=part)
            if row is None or row.status is not TaskStatus.PROCESSING:
                log.info("%s %s for %s ended while a copy waited; skipping", kind, part, video_id)
                return None
            if row.heartbeat_at != seen_beat or row.claim_token != seen_token:
                log.info("%s %s for %s: its holder is alive; duplicate ends", kind, part, video_id)
                return None
            stale_before = utcnow() - timedelta(seconds=self.stale_after)
            token = tasks.claim_task(
                video_id, kind, stale_before=stale_before, part=part, keep_progress=keep_progress
            )
            if token is not None:
                log.warning("%s %s for %s: holder gone, taken over", kind, part, video_id)
                return token
        # No verdict in time (clocks far apart?): the message lives on as a new one.
        log.warning(
            "%s %s for %s: holder neither beats nor goes stale; re-sent", kind, part, video_id
        )
        self.service.dispatch_again(video_id, kind, part)
        return None

    def _rerun(self, claim: _Claim) -> bool:
        """Queue an interrupted task again (fenced); False once it ran ``RERUN_ATTEMPTS``
        times (then the interruption is its failure)."""
        row = self.tasks.get_task(claim.video_id, claim.kind, part=claim.part)
        if row is None or row.attempts >= RERUN_ATTEMPTS:
            return False
        if not claim.report(TaskStatus.PENDING, 0.0):
            return True  # taken over meanwhile: the new holder runs it
        self._queue(claim)
        log.info(
            "%s %s for %s was interrupted; queued again", claim.kind, claim.part, claim.video_id
        )
        return True

    def _queue(self, claim: _Claim) -> None:
        """Send a task that went back to ``pending`` to the workers again."""
        self.service.dispatch_again(claim.video_id, claim.kind, claim.part)

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
        while not stop.wait(self.heartbeat_interval):
            try:
                claim.beat()
            except Exception:
                log.exception("heartbeat failed")
