"""The task rows, in SQL: claims and their fence, heartbeats, part priority (the policy is
``core.scheduling``), requests, leases and dispatch marks (ADRs 0061, 0064, 0073)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    exists,
    false,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from vidhost.adapters.db.rows import SqlStore, _emit, _task
from vidhost.adapters.db.tables import tasks, videos
from vidhost.core.lifecycle import (
    INTERNAL_KINDS,
    UNLISTED_KINDS,
    TaskKind,
    TaskStatus,
    VideoState,
)
from vidhost.core.models import TASK_CHANGED, DomainEvent, Task, utcnow
from vidhost.core.scheduling import PartRow, claim_order
from vidhost.media.process import holder_name


class SqlTaskStore(SqlStore):
    """Task rows: claims, leases, requests, dispatch."""

    # --- tasks ------------------------------------------------------------------------------

    def ensure_task(self, video_id: str, kind: TaskKind, *, part: int = 0) -> Task:
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(tasks).values(
                        video_id=video_id,
                        kind=kind.value,
                        part=part,
                        status=TaskStatus.PENDING.value,
                        progress=0.0,
                        attempts=0,
                        created_at=now,
                        updated_at=now,
                        dispatched_at=now,
                    )
                )
                if kind not in UNLISTED_KINDS:
                    _emit(conn, _pending_event(video_id, kind))
            self._committed_event()
        except IntegrityError:
            pass
        task = self.get_task(video_id, kind, part=part)
        assert task is not None
        return task

    def get_task(self, video_id: str, kind: TaskKind, *, part: int = 0) -> Task | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tasks).where(*_key(video_id, kind, part))).mappings().first()
        return _task(row) if row else None

    def list_tasks(self, video_id: str) -> list[Task]:
        """The video's tasks as surfaces show them (parts of a task are not listed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tasks)
                .where(
                    tasks.c.video_id == video_id,
                    tasks.c.kind.not_in(sorted(k.value for k in UNLISTED_KINDS)),
                )
                .order_by(tasks.c.created_at)
            ).mappings()
            return [_task(r) for r in rows]

    def list_parts(self, video_id: str, kinds: Sequence[TaskKind]) -> list[Task]:
        """Every row of ``kinds`` for the video (e.g. its chunk tasks), by kind and part."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tasks)
                .where(tasks.c.video_id == video_id, tasks.c.kind.in_([k.value for k in kinds]))
                .order_by(tasks.c.kind, tasks.c.part)
            ).mappings()
            return [_task(r) for r in rows]

    def claim_task(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        stale_before: datetime,
        part: int = 0,
        keep_progress: bool = False,
    ) -> str | None:
        """pending (or processing with a stale heartbeat) -> processing, with a new fence
        token (returned); None if someone else holds it or it is done. ``keep_progress``: a
        task that resumes where it was (the ``transcode`` of a plan) keeps its progress."""
        now = utcnow()
        token = uuid.uuid4().hex
        reset: dict[str, Any] = {} if keep_progress else {"progress": 0.0}
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tasks)
                .where(
                    *_key(video_id, kind, part),
                    or_(
                        tasks.c.status == TaskStatus.PENDING.value,
                        and_(
                            tasks.c.status == TaskStatus.PROCESSING.value,
                            or_(
                                tasks.c.heartbeat_at.is_(None), tasks.c.heartbeat_at < stale_before
                            ),
                        ),
                    ),
                )
                .values(
                    status=TaskStatus.PROCESSING.value,
                    error=None,
                    error_code=None,
                    attempts=tasks.c.attempts + 1,
                    heartbeat_at=now,
                    updated_at=now,
                    claim_token=token,
                    holder=holder_name(),
                    **reset,
                )
            )
            return token if result.rowcount == 1 else None

    # --- which part a worker takes (ADR 0061) ------------------------------------------------

    def claim_next_part(
        self, video_id: str, kind: TaskKind, *, stale_before: datetime
    ) -> tuple[int, str] | None:
        """Claim the part of ``kind`` of the video that is wanted most: the chunks of one video
        are interchangeable units of work, so the order is decided here, at claim time.

        Claimable (pending, or processing with a stale heartbeat) rows in this order: the ones
        a player asked for (latest request first), then those after the latest requested part,
        then the rest, by index. Returns ``(part, token)``; None when nothing is claimable."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    tasks.c.part, tasks.c.status, tasks.c.heartbeat_at, tasks.c.requested_at
                ).where(tasks.c.video_id == video_id, tasks.c.kind == kind.value)
            ).all()
        parts = [
            PartRow(r.part, TaskStatus(r.status), r.heartbeat_at, r.requested_at) for r in rows
        ]
        for part in claim_order(parts, stale_before):  # the policy: vidhost.core.scheduling
            token = self.claim_task(video_id, kind, stale_before=stale_before, part=part)
            if token is not None:
                return part, token
        return None

    def request_part(
        self,
        video_id: str,
        kind: TaskKind,
        part: int,
        rendition: str | None = None,
        *,
        ahead: int = 0,
    ) -> bool:
        """A player waits for this part (a segment of ``rendition``): the next worker takes it
        first, and the first chunk, encoded rung by rung, takes that rung next (ADR 0062).
        ``ahead``: the next ``ahead`` parts are stamped too, each a millisecond earlier than
        the one before, so they come right after it in the claim order (latest request
        first) but before any older request, and name the same rung (a reader reads one
        rung on; each takes it alone first); a stamp never moves a part's request back.
        A reader faster than real time then finds them encoded (ADR 0064).
        False if it is not pending or being encoded (done, failed, or no such part)."""
        now = utcnow()
        open_ = tasks.c.status.in_([TaskStatus.PENDING.value, TaskStatus.PROCESSING.value])
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tasks)
                .where(*_key(video_id, kind, part), open_)
                .values(requested_at=now, requested_rendition=rendition)
            )
            for step in range(1, ahead + 1):
                stamp = now - timedelta(milliseconds=step)
                conn.execute(
                    update(tasks)
                    .where(
                        *_key(video_id, kind, part + step),
                        open_,
                        or_(tasks.c.requested_at.is_(None), tasks.c.requested_at < stamp),
                    )
                    .values(requested_at=stamp, requested_rendition=rendition)
                )
            return result.rowcount == 1

    def cancel_tasks(self, video_id: str, *, code: str, error: str) -> int:
        """Fail every unfinished task of the video and drop its claim (a deleted video): the
        workers at it have their next fenced write refused and stop (their ffmpeg killed)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tasks)
                .where(
                    tasks.c.video_id == video_id,
                    tasks.c.status.in_([TaskStatus.PENDING.value, TaskStatus.PROCESSING.value]),
                )
                .values(
                    status=TaskStatus.FAILED.value,
                    error_code=code,
                    error=error,
                    claim_token=None,
                    updated_at=utcnow(),
                )
            )
            return int(result.rowcount)

    def heartbeat(
        self, video_id: str, kind: TaskKind, *, part: int = 0, token: str | None = None
    ) -> bool:
        conds = [*_key(video_id, kind, part), tasks.c.status == TaskStatus.PROCESSING.value]
        if token is not None:
            conds.append(tasks.c.claim_token == token)
        with self.engine.begin() as conn:
            result = conn.execute(update(tasks).where(*conds).values(heartbeat_at=utcnow()))
            return result.rowcount == 1

    def update_task(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        status: TaskStatus,
        progress: float,
        event: DomainEvent | None,
        error_code: str | None = None,
        error: str | None = None,
        part: int = 0,
        token: str | None = None,
        only_if: TaskStatus | None = None,
        forward: bool = False,
        give_back: bool = False,
    ) -> bool:
        """Write the task's status; with ``token``, only while that claim holds (the fence),
        with ``only_if``, only while the row has that status, with ``forward``, only if it
        moves the progress forward (writers racing with counts made a moment apart);
        ``give_back``: the claim is handed back unfinished, its attempt not counted, and the
        request it served dropped (it ranks behind the part it gave way to).
        False if refused."""
        now = utcnow()
        conds = list(_key(video_id, kind, part))
        if token is not None:
            conds += [tasks.c.claim_token == token, tasks.c.status == TaskStatus.PROCESSING.value]
        if only_if is not None:
            conds.append(tasks.c.status == only_if.value)
        if forward:
            conds.append(tasks.c.progress < progress)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tasks)
                .where(*conds)
                .values(
                    status=status.value,
                    progress=progress,
                    error_code=error_code,
                    error=error,
                    updated_at=now,
                    heartbeat_at=now,
                    **(_GIVEN_BACK if give_back else {}),
                )
            )
            if result.rowcount != 1:
                return False
            if event is not None:
                _emit(conn, event)
        if event is not None:
            self._committed_event()
        return True

    def lost_tasks(
        self, *, stale_before: datetime, queue_empty: bool, redelivers: bool
    ) -> list[Task]:
        """Tasks no message can still reach (ADR 0073, ``_lost``): the ones to send again."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tasks).where(
                    _lost(stale_before, queue_empty=queue_empty, redelivers=redelivers)
                )
            ).mappings()
            return [_task(r) for r in rows]

    def lease_redispatch(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        part: int = 0,
        stale_before: datetime,
        queue_empty: bool,
        redelivers: bool,
    ) -> bool:
        """Take the right to send the task again: one conditional update that moves
        ``dispatched_at`` (the lease) while the task is still lost. Of N reconcilers that
        found it, one gets True."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tasks)
                .where(
                    *_key(video_id, kind, part),
                    _lost(stale_before, queue_empty=queue_empty, redelivers=redelivers),
                )
                .values(dispatched_at=utcnow(), dispatches=tasks.c.dispatches + 1)
            )
            return result.rowcount == 1

    def hold_dispatch(self, video_id: str, kind: TaskKind, *, part: int = 0) -> None:
        """A worker holds a message of this task (waiting for its holder's heartbeat to go
        stale): renew the dispatch lease, so no reconciler sends another copy meanwhile."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tasks).where(*_key(video_id, kind, part)).values(dispatched_at=utcnow())
            )

    def lease_start(self, video_id: str, *, before: datetime) -> bool:
        """Take the right to start an uploaded video that has no task rows (reconciler):
        moves ``updated_at`` while it is still older than ``before``; one caller wins."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(videos)
                .where(
                    videos.c.id == video_id,
                    videos.c.state == VideoState.UPLOADED.value,
                    videos.c.updated_at < before,
                )
                .values(updated_at=utcnow())
            )
            return result.rowcount == 1

    def uploaded_without_tasks(self, *, before: datetime) -> list[str]:
        """Videos committed as uploaded whose task rows were never created (crash between)."""
        has_task = select(tasks.c.video_id).where(tasks.c.video_id == videos.c.id).exists()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(videos.c.id).where(
                    videos.c.state == VideoState.UPLOADED.value,
                    videos.c.updated_at < before,
                    ~has_task,
                )
            )
            return [r[0] for r in rows]

    def mark_dispatched(self, video_id: str, kind: TaskKind, *, part: int = 0) -> None:
        """Record one more message sent for the task (a retry after a failure)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tasks)
                .where(*_key(video_id, kind, part))
                .values(dispatched_at=utcnow(), dispatches=tasks.c.dispatches + 1)
            )


_GIVEN_BACK: dict[str, Any] = {
    "attempts": tasks.c.attempts - 1,
    "requested_at": None,
    "requested_rendition": None,
}


def _key(video_id: str, kind: TaskKind, part: int) -> tuple[ColumnElement[bool], ...]:
    return (tasks.c.video_id == video_id, tasks.c.kind == kind.value, tasks.c.part == part)


def _lost(stale_before: datetime, *, queue_empty: bool, redelivers: bool) -> ColumnElement[bool]:
    """A task that no message can still reach (ADR 0073). Its dispatch lease is old (no
    message sent, or held by a waiting worker, since ``stale_before``) and:

    - the broker's queue is empty (nothing waiting could be its message), and it is pending,
      or processing with a stale heartbeat (its holder died or hangs); or
    - with a broker that does not give a dead consumer's messages back by itself (Redis:
      only after its visibility timeout, 1 h), it is processing with a stale heartbeat and
      its last message was sent before its holder's last heartbeat: the dead holder had
      consumed it.

    A ``transcode`` whose parts are unfinished is never lost itself: its parts are.
    """
    processing_stale = and_(
        tasks.c.status == TaskStatus.PROCESSING.value,
        or_(tasks.c.heartbeat_at.is_(None), tasks.c.heartbeat_at < stale_before),
    )
    lost: ColumnElement[bool]
    if queue_empty:
        lost = or_(tasks.c.status == TaskStatus.PENDING.value, processing_stale)
    elif redelivers:
        lost = false()
    else:
        lost = and_(
            processing_stale,
            or_(tasks.c.dispatched_at.is_(None), tasks.c.dispatched_at <= tasks.c.heartbeat_at),
        )
    parts = tasks.alias("parts")
    waits_for_parts = and_(
        tasks.c.kind == TaskKind.TRANSCODE.value,
        exists().where(
            parts.c.video_id == tasks.c.video_id,
            parts.c.kind.in_(sorted(k.value for k in INTERNAL_KINDS)),
            parts.c.status.in_([TaskStatus.PENDING.value, TaskStatus.PROCESSING.value]),
        ),
    )
    return and_(
        or_(tasks.c.dispatched_at.is_(None), tasks.c.dispatched_at < stale_before),
        lost,
        not_(waits_for_parts),
    )


def _pending_event(video_id: str, kind: TaskKind) -> DomainEvent:
    data = {"kind": kind.value, "status": "pending", "progress": 0.0, "error": None}
    return DomainEvent(TASK_CHANGED, video_id, {**data, "error_code": None})
