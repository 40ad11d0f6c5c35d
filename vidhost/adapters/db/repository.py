"""SQL implementation of the ``VideoRepository`` port (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    exists,
    false,
    func,
    insert,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from vidhost.adapters.db.tables import events, tasks, videos
from vidhost.core.access import LISTED
from vidhost.core.lifecycle import INTERNAL_KINDS, TaskKind, TaskStatus, VideoState
from vidhost.core.models import TASK_CHANGED, DomainEvent, Rendition, Task, Video, utcnow
from vidhost.core.scheduling import PartRow, claim_order
from vidhost.media.process import holder_name

NOTIFY_CHANNEL = "vidhost_events"
"""PostgreSQL: every event insert also ``NOTIFY``s this channel (delivered at commit)."""

# Domain field name -> column name where they differ.
_COLUMN = {"metadata": "meta"}
_FIELD = {v: k for k, v in _COLUMN.items()}


def _video_values(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "renditions":
            value = [asdict(r) if isinstance(r, Rendition) else r for r in value]
        elif isinstance(value, VideoState):
            value = value.value
        values[_COLUMN.get(name, name)] = value
    return values


def _video(row: RowMapping) -> Video:
    data = {_FIELD.get(k, k): v for k, v in row.items()}
    data["state"] = VideoState(data["state"])
    data["renditions"] = [Rendition(**r) for r in data.get("renditions") or []]
    data["tags"] = list(data.get("tags") or [])
    data["metadata"] = dict(data.get("metadata") or {})
    data["options"] = dict(data.get("options") or {})
    return Video(**data)


_CLIENT_FIELDS = {"meta", "options", "renditions", "tags", "description", "title", "source_probe"}
_LEAN_VIDEO = [c for c in videos.c if c.name not in _CLIENT_FIELDS]
"""Every column but the client-supplied (and potentially large) ones, and the probe."""


def _task(row: RowMapping) -> Task:
    data = dict(row)
    data.pop("dispatched_at", None)
    data.pop("dispatches", None)
    data.pop("holder", None)
    data["kind"] = TaskKind(data["kind"])
    data["status"] = TaskStatus(data["status"])
    return Task(**data)


def _event(row: RowMapping) -> DomainEvent:
    return DomainEvent(
        id=row["id"],
        type=row["type"],
        video_id=row["video_id"],
        data=dict(row["data"]),
        at=row["created_at"],
    )


def _emit(conn: Connection, event: DomainEvent) -> None:
    conn.execute(
        insert(events).values(
            video_id=event.video_id, type=event.type, data=event.data, created_at=event.at
        )
    )
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


class SqlRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.after_event_commit: list[Callable[[], None]] = []
        """Called after each commit that wrote an event (e.g. a Redis wake-up publish)."""

    def _committed_event(self) -> None:
        for hook in self.after_event_commit:
            with contextlib.suppress(Exception):  # a wake-up only saves a poll interval
                hook()

    # --- videos -----------------------------------------------------------------------------

    def add_video(self, video: Video, *, event: DomainEvent | None = None) -> None:
        values = _video_values(asdict(video))
        values["renditions"] = [asdict(r) for r in video.renditions]
        with self.engine.begin() as conn:
            conn.execute(insert(videos).values(**values))
            if event is not None:
                _emit(conn, event)
        if event is not None:
            self._committed_event()

    def get_video(self, video_id: str) -> Video | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(videos).where(videos.c.id == video_id)).mappings().first()
        return _video(row) if row else None

    def list_videos(
        self,
        *,
        owner: str | None = None,
        states: Sequence[VideoState] | None = None,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        oldest_first: bool = False,
    ) -> tuple[list[Video], int]:
        """Newest first (or oldest, ``oldest_first``). ``search``: the title (or, untitled,
        the filename) contains it, ignoring case (``%`` and ``_`` are literal);
        ``created_after``/``created_before``: bounds on the creation time (exclusive)."""
        conds = [videos.c.state != VideoState.DELETED.value]
        if created_after is not None:
            conds.append(videos.c.created_at > created_after)
        if created_before is not None:
            conds.append(videos.c.created_at < created_before)
        if owner is not None:
            conds.append(videos.c.owner == owner)
        if states:
            conds.append(videos.c.state.in_([s.value for s in states]))
        if search:
            name = func.lower(func.coalesce(videos.c.title, videos.c.filename, ""))
            conds.append(name.contains(search.lower(), autoescape=True))
        where = and_(*conds)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(videos).where(where)).scalar()
            rows = conn.execute(
                select(videos)
                .where(where)
                .order_by(
                    videos.c.created_at.asc() if oldest_first else videos.c.created_at.desc(),
                    videos.c.id,
                )
                .limit(limit)
                .offset(offset)
            ).mappings()
            return [_video(r) for r in rows], int(total or 0)

    def awaiting_direct_uploads(self) -> list[Video]:
        """Direct uploads still waiting for their bytes (``created|uploading`` with an upload
        URL), without title, description, tags, metadata, options or renditions: the upload
        watcher asks every few seconds and needs none of them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_LEAN_VIDEO)
                .where(
                    videos.c.state.in_([VideoState.CREATED.value, VideoState.UPLOADING.value]),
                    videos.c.upload_expires_at.is_not(None),
                )
                .order_by(videos.c.created_at, videos.c.id)
            ).mappings()
            return [_video(r) for r in rows]

    def update_video(self, video_id: str, **fields: Any) -> None:
        values = _video_values(fields)
        values["updated_at"] = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(videos).where(videos.c.id == video_id).values(**values))

    def change_state(
        self,
        video_id: str,
        target: VideoState,
        *,
        expected: frozenset[VideoState],
        event: DomainEvent,
        **fields: Any,
    ) -> bool:
        values = _video_values(fields)
        values["state"] = target.value
        values["updated_at"] = utcnow()
        if target is VideoState.READY:
            values.setdefault("ready_at", values["updated_at"])
        with self.engine.begin() as conn:
            result = conn.execute(
                update(videos)
                .where(videos.c.id == video_id, videos.c.state.in_([s.value for s in expected]))
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            _emit(conn, event)
        self._committed_event()
        return True

    def ready_video_ids(self, *, viewer: str | None = None) -> list[str]:
        listed: ColumnElement[bool] = videos.c.visibility.in_(sorted(LISTED))
        if viewer is not None:
            listed = or_(listed, videos.c.owner == viewer)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(videos.c.id)
                .where(
                    videos.c.state == VideoState.READY.value,
                    videos.c.manifest_key.isnot(None),
                    listed,
                )
                .order_by(videos.c.ready_at, videos.c.id)
            )
            return [r[0] for r in rows]

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
                if kind not in INTERNAL_KINDS:
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
                    tasks.c.kind.not_in(sorted(k.value for k in INTERNAL_KINDS)),
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
        ``give_back``: the claim is handed back unfinished, its attempt not counted.
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
                    **({"attempts": tasks.c.attempts - 1} if give_back else {}),
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

    # --- events -----------------------------------------------------------------------------

    def add_event(self, event: DomainEvent) -> None:
        with self.engine.begin() as conn:
            _emit(conn, event)
        self._committed_event()

    def events_after(self, event_id: int, *, limit: int = 500) -> list[DomainEvent]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.id > event_id).order_by(events.c.id).limit(limit)
            ).mappings()
            return [_event(r) for r in rows]

    def events_with_ids(self, ids: Sequence[int]) -> list[DomainEvent]:
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.id.in_(list(ids))).order_by(events.c.id)
            ).mappings()
            return [_event(r) for r in rows]

    def last_event_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)


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
