"""SQL persistence of the Mux-compatible API: access tokens, direct uploads, playback ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from vidhost.core.models import as_utc, utcnow
from vidhost.providers.mux.playback_ids import PlaybackId
from vidhost.providers.mux.tables import mux_access_tokens, mux_playback_ids, mux_uploads
from vidhost.providers.mux.uploads import MuxUpload

_UPLOAD_FIELDS = {f.name for f in fields(MuxUpload)}


def _utc(values: Mapping[Any, Any]) -> dict[str, Any]:
    """A row read or written, its timestamps in UTC (``tables.py``)."""
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _upload(row: RowMapping) -> MuxUpload:
    data = {k: v for k, v in _utc(row).items() if k in _UPLOAD_FIELDS}
    data["new_asset_settings"] = dict(data.get("new_asset_settings") or {})
    return MuxUpload(**data)


class SqlMuxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- access tokens ----------------------------------------------------------------------

    def add_token(self, token_id: str, owner: str, secret_hash: str, name: str | None) -> datetime:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                insert(mux_access_tokens).values(
                    id=token_id, owner=owner, secret_hash=secret_hash, name=name, created_at=now
                )
            )
        return now

    def get_token(self, token_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(mux_access_tokens).where(mux_access_tokens.c.id == token_id))
                .mappings()
                .first()
            )
        return _utc(row) if row else None

    def list_tokens(self, owner: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    mux_access_tokens.c.id,
                    mux_access_tokens.c.name,
                    mux_access_tokens.c.created_at,
                )
                .where(mux_access_tokens.c.owner == owner, mux_access_tokens.c.revoked_at.is_(None))
                .order_by(mux_access_tokens.c.created_at)
            ).mappings()
            return [_utc(r) for r in rows]

    def revoke_token(self, token_id: str, owner: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(mux_access_tokens)
                .where(
                    mux_access_tokens.c.id == token_id,
                    mux_access_tokens.c.owner == owner,
                    mux_access_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
        return result.rowcount == 1

    # --- direct uploads ---------------------------------------------------------------------

    def add_upload(self, upload: MuxUpload) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(mux_uploads).values(**_utc(asdict(upload))))

    def get_upload(self, upload_id: str) -> MuxUpload | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(mux_uploads).where(mux_uploads.c.id == upload_id))
                .mappings()
                .first()
            )
        return _upload(row) if row else None

    def upload_of_video(self, video_id: str) -> MuxUpload | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(mux_uploads).where(mux_uploads.c.video_id == video_id))
                .mappings()
                .first()
            )
        return _upload(row) if row else None

    def list_uploads(self, owner: str, *, limit: int, offset: int) -> list[MuxUpload]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(mux_uploads)
                .where(mux_uploads.c.owner == owner)
                .order_by(mux_uploads.c.created_at.desc(), mux_uploads.c.id)
                .limit(limit)
                .offset(offset)
            ).mappings()
            return [_upload(r) for r in rows]

    def set_upload_status(self, upload_id: str, status: str, *, only_if: str) -> bool:
        """Conditional: of two requests moving the same upload, one wins."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(mux_uploads)
                .where(mux_uploads.c.id == upload_id, mux_uploads.c.status == only_if)
                .values(status=status)
            )
        return result.rowcount == 1

    # --- playback ids -----------------------------------------------------------------------

    def add_playback_id(self, playback: PlaybackId) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(mux_playback_ids).values(**_utc(asdict(playback))))

    def get_playback_id(self, playback_id: str) -> PlaybackId | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(mux_playback_ids).where(mux_playback_ids.c.id == playback_id))
                .mappings()
                .first()
            )
        return PlaybackId(**_utc(row)) if row else None

    def playback_ids_of(self, video_ids: list[str]) -> dict[str, list[PlaybackId]]:
        found: dict[str, list[PlaybackId]] = {v: [] for v in video_ids}
        if not video_ids:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(mux_playback_ids)
                .where(mux_playback_ids.c.video_id.in_(video_ids))
                .order_by(mux_playback_ids.c.created_at, mux_playback_ids.c.id)
            ).mappings()
            for row in rows:
                found[row["video_id"]].append(PlaybackId(**_utc(row)))
        return found

    def delete_playback_id(self, playback_id: str, video_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(mux_playback_ids).where(
                    mux_playback_ids.c.id == playback_id, mux_playback_ids.c.video_id == video_id
                )
            )
        return result.rowcount == 1

    def delete_playback_ids_of(self, video_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(mux_playback_ids).where(mux_playback_ids.c.video_id == video_id))

    def count_uploads(self, owner: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(mux_uploads)
                    .where(mux_uploads.c.owner == owner)
                ).scalar_one()
            )
