"""The videos, in SQL (SQLite and PostgreSQL): part of the ``VideoRepository`` port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from vidhost.adapters.db.rows import _LEAN_VIDEO, SqlStore, _emit, _video, _video_values
from vidhost.adapters.db.tables import VIDEO_ROWS, text_tracks, videos
from vidhost.core.access import LISTED
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import DomainEvent, Video, utcnow
from vidhost.core.text_tracks import READY


class SqlVideoStore(SqlStore):
    """Videos: add, read, list, change state."""

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
        the filename) or the words of one of its ready text tracks (uploaded or generated)
        contain it, ignoring case (``%`` and ``_`` are literal);
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
            needle = search.lower()
            name = func.lower(func.coalesce(videos.c.title, videos.c.filename, ""))
            spoken = exists().where(
                text_tracks.c.video_id == videos.c.id,
                text_tracks.c.status == READY,
                func.lower(text_tracks.c.words).contains(needle, autoescape=True),
            )
            conds.append(or_(name.contains(needle, autoescape=True), spoken))
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

    def due_for_deletion(self, now: datetime, *, limit: int = 100) -> list[str]:
        """Videos not deleted whose ``delete_at`` has passed, the earliest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(videos.c.id)
                .where(
                    videos.c.delete_at.is_not(None),
                    videos.c.delete_at <= now,
                    videos.c.state != VideoState.DELETED.value,
                )
                .order_by(videos.c.delete_at, videos.c.id)
                .limit(limit)
            )
            return [r[0] for r in rows]

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
            if target is VideoState.DELETED:  # its text tracks, static renditions ...
                for table in VIDEO_ROWS:
                    conn.execute(delete(table).where(table.c.video_id == video_id))
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
