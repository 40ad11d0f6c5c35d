"""Reads for ``/ws/{client_id}``: which client a video belongs to, and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from vidhost.adapters.db.tables import tasks, videos
from vidhost.core.lifecycle import UNLISTED_KINDS, VideoState


@dataclass(frozen=True)
class ClientTask:
    kind: str
    status: str
    progress: float
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ClientVideo:
    id: str
    state: VideoState
    updated_at: datetime
    tasks: list[ClientTask] = field(default_factory=list)


class ClientVideos:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def client_of(self, video_id: str) -> tuple[str, str | None] | None:
        """(owner, client_id) of the video; client_id ``None`` if uploaded without one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(videos.c.owner, videos.c.client_id).where(videos.c.id == video_id)
            ).first()
        if row is None:
            return None
        return str(row[0]), row[1] if isinstance(row[1], str) else None

    def recent(
        self, owner: str, client_id: str, *, since: datetime, limit: int = 100
    ) -> list[ClientVideo]:
        """``owner``'s videos of ``client_id`` changed since ``since`` (oldest first), with
        their tasks. Client ids are scoped per owner."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(videos.c.id, videos.c.state, videos.c.updated_at)
                .where(
                    videos.c.owner == owner,
                    videos.c.client_id == client_id,
                    videos.c.updated_at >= since,
                    videos.c.state != VideoState.DELETED.value,
                )
                .order_by(videos.c.updated_at.desc())
                .limit(limit)
            ).all()
            result = []
            for video_id, state, updated_at in reversed(rows):
                task_rows = conn.execute(
                    select(tasks.c.kind, tasks.c.status, tasks.c.progress, tasks.c.error)
                    .add_columns(tasks.c.updated_at)
                    .where(
                        tasks.c.video_id == video_id,
                        tasks.c.kind.not_in(sorted(k.value for k in UNLISTED_KINDS)),
                    )
                    .order_by(tasks.c.created_at)
                ).all()
                result.append(
                    ClientVideo(
                        video_id,
                        VideoState(state),
                        updated_at,
                        [ClientTask(k, s, float(p), e, at) for k, s, p, e, at in task_rows],
                    )
                )
            return result
