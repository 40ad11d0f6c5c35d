"""SQL persistence of webhook endpoints, the delivery outbox, attempts and outbox cursors."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from vidhost.adapters.db.tables import (
    events,
    outbox_cursors,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from vidhost.core.models import utcnow
from vidhost.core.webhooks import (
    FAILED,
    GLOBAL_ENDPOINT_ID,
    PENDING,
    SUCCEEDED,
    Attempt,
    Delivery,
    Endpoint,
)

_ENDPOINT_FIELDS = {f.name for f in fields(Endpoint)}
_DELIVERY_FIELDS = {f.name for f in fields(Delivery)} - {"attempt_log"}


def _endpoint(row: RowMapping) -> Endpoint:
    data = {k: v for k, v in row.items() if k in _ENDPOINT_FIELDS}
    data["events"] = list(data["events"] or [])
    return Endpoint(**data)


def _delivery(row: RowMapping) -> Delivery:
    return Delivery(**{k: v for k, v in row.items() if k in _DELIVERY_FIELDS})


class SqlWebhookStore:
    """The SQL implementation of :class:`vidhost.core.webhook_store.WebhookStore`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- endpoints --------------------------------------------------------------------------

    def create_endpoint(
        self,
        *,
        owner: str,
        url: str,
        secret: str,
        events: list[str],
        description: str | None,
        format: str = "vidhost",
    ) -> Endpoint:
        now = utcnow()
        values: dict[str, Any] = {
            "id": "whe_" + uuid.uuid4().hex,
            "owner": owner,
            "url": url,
            "secret": secret,
            "events": events,
            "description": description,
            "format": format,
            "enabled": True,
            "created_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(webhook_endpoints).values(**values))
        endpoint = self.get_endpoint(values["id"])
        assert endpoint is not None
        return endpoint

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
                .mappings()
                .first()
            )
        return _endpoint(row) if row else None

    def list_endpoints(self, owner: str) -> list[Endpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(webhook_endpoints)
                .where(webhook_endpoints.c.owner == owner)
                .order_by(webhook_endpoints.c.created_at)
            ).mappings()
            return [_endpoint(r) for r in rows]

    def endpoints_for(self, owner: str) -> list[Endpoint]:
        """Enabled endpoints that receive ``owner``'s events (theirs and the global one)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(webhook_endpoints).where(
                    webhook_endpoints.c.enabled.is_(True),
                    or_(webhook_endpoints.c.owner == owner, webhook_endpoints.c.owner.is_(None)),
                )
            ).mappings()
            return [_endpoint(r) for r in rows]

    def delete_endpoint(self, endpoint_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))

    def rotate_secret(self, endpoint_id: str, secret: str, *, keep_previous_for: float) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(
                    previous_secret=webhook_endpoints.c.secret,
                    previous_secret_until=now + timedelta(seconds=keep_previous_for),
                    secret=secret,
                    updated_at=now,
                )
            )

    def configure_global(self, url: str | None, secret: str | None) -> None:
        """Make the ``global`` endpoint match ``VIDHOST_WEBHOOK_URL``/``_SECRET``, or disable it."""
        now = utcnow()
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(webhook_endpoints.c.id).where(webhook_endpoints.c.id == GLOBAL_ENDPOINT_ID)
            ).first()
            values: dict[str, Any] = {
                "url": url or "",
                "secret": secret or "",
                "enabled": bool(url and secret),
                "updated_at": now,
            }
            if exists:
                conn.execute(
                    update(webhook_endpoints)
                    .where(webhook_endpoints.c.id == GLOBAL_ENDPOINT_ID)
                    .values(**values)
                )
                return
        if not (url and secret):
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(webhook_endpoints).values(
                        id=GLOBAL_ENDPOINT_ID,
                        owner=None,
                        events=[],
                        description="VIDHOST_WEBHOOK_URL",
                        created_at=now,
                        **values,
                    )
                )
        except IntegrityError:  # another API process starting at the same time made it
            self.configure_global(url, secret)

    # --- outbox -----------------------------------------------------------------------------

    def first_event_of_video(self, video_id: str, event_id: int) -> bool:
        with self.engine.connect() as conn:
            earlier = conn.execute(
                select(events.c.id)
                .where(events.c.video_id == video_id, events.c.id < event_id)
                .limit(1)
            ).first()
        return earlier is None

    def enqueue(
        self,
        *,
        endpoint_id: str,
        message_id: str,
        source_event_id: int,
        event_type: str,
        video_id: str,
        body: str,
        retry_for: float,
    ) -> bool:
        """Add a delivery; False if this message is already queued for this endpoint."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(webhook_deliveries).values(
                        id="whd_" + uuid.uuid4().hex,
                        endpoint_id=endpoint_id,
                        message_id=message_id,
                        source_event_id=source_event_id,
                        event_type=event_type,
                        video_id=video_id,
                        body=body,
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        expires_at=now + timedelta(seconds=retry_for),
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def cursor(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(outbox_cursors.c.last_event_id).where(outbox_cursors.c.name == name)
            ).scalar()
        return None if value is None else int(value)

    def set_cursor(self, name: str, event_id: int) -> None:
        """Move the cursor forward to ``event_id`` (never back). The first call creates it.
        One statement (an insert that, on the name's conflict, keeps the greater of the two
        ids), so API processes starting at once on a fresh database cannot lose a move."""
        now = utcnow()
        with self.engine.begin() as conn:
            postgres = conn.dialect.name == "postgresql"
            upsert = (postgresql.insert if postgres else sqlite.insert)(outbox_cursors)
            stmt = upsert.values(name=name, last_event_id=event_id, updated_at=now)
            greatest = func.greatest if postgres else func.max  # SQLite's two-argument max()
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[outbox_cursors.c.name],
                    set_={
                        "last_event_id": greatest(
                            outbox_cursors.c.last_event_id, stmt.excluded.last_event_id
                        ),
                        "updated_at": now,
                    },
                )
            )

    def claim_due(self, *, limit: int, lease: float) -> list[Delivery]:
        """Pending deliveries whose time has come, leased to this process for ``lease`` s."""
        now = utcnow()
        free = or_(
            webhook_deliveries.c.locked_until.is_(None), webhook_deliveries.c.locked_until < now
        )
        claimed: list[Delivery] = []
        with self.engine.connect() as conn:
            ids = (
                conn.execute(
                    select(webhook_deliveries.c.id)
                    .where(
                        webhook_deliveries.c.status == PENDING,
                        webhook_deliveries.c.next_attempt_at <= now,
                        free,
                    )
                    .order_by(webhook_deliveries.c.next_attempt_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        for delivery_id in ids:
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.id == delivery_id, free)
                    .values(locked_until=now + timedelta(seconds=lease))
                )
                if result.rowcount != 1:
                    continue
                row = (
                    conn.execute(
                        select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                    )
                    .mappings()
                    .first()
                )
            if row is not None:
                claimed.append(_delivery(row))
        return claimed

    def record_attempt(
        self,
        delivery: Delivery,
        attempt: Attempt,
        *,
        succeeded: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        """Log one attempt; succeeded, retry at ``next_attempt_at``, or (None) given up."""
        status = SUCCEEDED if succeeded else (PENDING if next_attempt_at else FAILED)
        with self.engine.begin() as conn:
            conn.execute(
                insert(webhook_attempts).values(
                    delivery_id=delivery.id,
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                )
            )
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery.id)
                .values(
                    status=status,
                    attempts=webhook_deliveries.c.attempts + 1,
                    next_attempt_at=next_attempt_at or attempt.attempted_at,
                    locked_until=None,
                    last_status_code=attempt.status_code,
                    last_error=attempt.error,
                    delivered_at=attempt.attempted_at if succeeded else None,
                    updated_at=utcnow(),
                )
            )

    def deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[Delivery]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.endpoint_id == endpoint_id)
                .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id)
                .limit(limit)
            ).mappings()
            result = [_delivery(r) for r in rows]
            if not result:
                return result
            attempts = conn.execute(
                select(webhook_attempts)
                .where(webhook_attempts.c.delivery_id.in_([d.id for d in result]))
                .order_by(webhook_attempts.c.id)
            ).mappings()
            by_id = {d.id: d for d in result}
            for a in attempts:
                by_id[a["delivery_id"]].attempt_log.append(
                    Attempt(a["attempted_at"], a["status_code"], a["latency_ms"], a["error"])
                )
            return result

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                )
                .mappings()
                .first()
            )
        return _delivery(row) if row else None

    def resend(self, delivery_id: str, *, retry_for: float) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(
                    status=PENDING,
                    next_attempt_at=now,
                    expires_at=now + timedelta(seconds=retry_for),
                    locked_until=None,
                    updated_at=now,
                )
            )

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.count())
                .select_from(webhook_deliveries)
                .where(and_(webhook_deliveries.c.status == PENDING))
            ).scalar()
        return int(value or 0)
