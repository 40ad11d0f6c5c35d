"""SQL implementation of ``SigningKeyRepository`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from vidhost.adapters.db.tables import server_keys, signing_keys
from vidhost.core.models import ServerKey, SigningKey, utcnow

SERVER_KEY = "playback"
"""The one row of ``server_keys`` that signs ``POST /api/videos/{id}/playback-token``."""


class SqlSigningKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_key(self, key: SigningKey) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(signing_keys).values(**asdict(key)))

    def get_key(self, key_id: str) -> SigningKey | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(signing_keys).where(signing_keys.c.id == key_id))
                .mappings()
                .first()
            )
        return SigningKey(**row) if row else None

    def list_keys(self, owner: str) -> list[SigningKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(signing_keys)
                .where(signing_keys.c.owner == owner, signing_keys.c.deleted_at.is_(None))
                .order_by(signing_keys.c.created_at, signing_keys.c.id)
            ).mappings()
            return [SigningKey(**r) for r in rows]

    def delete_key(self, key_id: str, *, owner: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(signing_keys)
                .where(
                    signing_keys.c.id == key_id,
                    signing_keys.c.owner == owner,
                    signing_keys.c.deleted_at.is_(None),
                )
                .values(deleted_at=utcnow(), public_pem=None)
            )
        return result.rowcount == 1

    def server_key(self, create: Callable[[], ServerKey]) -> ServerKey:
        found = self._server_key()
        if found is not None:
            return found
        key = create()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(server_keys).values(name=SERVER_KEY, **asdict(key)))
        except IntegrityError:
            pass  # another process stored its key first: use that one
        found = self._server_key()
        assert found is not None
        return found

    def _server_key(self) -> ServerKey | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(
                        server_keys.c.kid,
                        server_keys.c.private_pem,
                        server_keys.c.public_pem,
                        server_keys.c.created_at,
                    ).where(server_keys.c.name == SERVER_KEY)
                )
                .mappings()
                .first()
            )
        return ServerKey(**row) if row else None
