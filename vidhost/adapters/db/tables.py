"""SQLAlchemy Core tables. The schema itself is owned by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from vidhost.core.models import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return as_utc(value)


metadata = MetaData()

videos = Table(
    "videos",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("state", String(20), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("filename", String(1024)),
    Column("content_type", String(255)),
    Column("size_bytes", BigInteger),
    Column("source_key", String(1024)),
    Column("duration", Float),
    Column("width", Integer),
    Column("height", Integer),
    Column("video_codec", String(64)),
    Column("audio_codec", String(64)),
    Column("fps", Float),
    Column("bitrate", BigInteger),
    Column("renditions", JSON, nullable=False, default=list),
    Column("manifest_key", String(1024)),
    Column("poster_key", String(1024)),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("client_id", String(255), index=True),
    Column("title", String(500)),
    Column("description", Text),
    Column("tags", JSON, nullable=False, default=list),
    Column("visibility", String(20), nullable=False, default="public"),
    Column("meta", JSON, nullable=False, default=dict),
    Column("options", JSON, nullable=False, default=dict),
    Column("ready_at", UTCDateTime()),
    # 0004_direct: direct-to-storage uploads
    Column("declared_size", BigInteger),
    Column("upload_expires_at", UTCDateTime()),
    Column("multipart_upload_id", String(1024)),
    # 0051_source_check: the accepted source's container and ETag (ADR 0051)
    Column("source_format", String(255)),
    Column("source_etag", String(255)),
    # 0090_source_probe: the probe of the accepted source, handed to the tasks (ADR 0090)
    Column("source_probe", JSON),
    # 0094_delete_at: deletion by itself at a time (test assets, scheduledDeletion; ADR 0094)
    Column("delete_at", UTCDateTime(), index=True),
)

tasks = Table(
    "tasks",
    metadata,
    Column(
        "video_id",
        String(64),
        ForeignKey("videos.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(40), primary_key=True),
    # 0007_task_parts: chunk index (0 for kinds without parts) and the claim's fence token
    Column("part", Integer, primary_key=True, default=0, server_default="0"),
    Column("status", String(20), nullable=False, index=True),
    Column("progress", Float, nullable=False, default=0.0),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime()),
    Column("dispatched_at", UTCDateTime()),
    Column("claim_token", String(64)),
    # 0061_chunk_priority: when a player last asked for a segment of this part not stored yet
    Column("requested_at", UTCDateTime()),
    # 0062_requested_rendition: the rung of that request (the first chunk's rung order)
    Column("requested_rendition", String(64)),
    # 0073_dispatch_lease: messages sent for the row, the first included (ADR 0073)
    Column("dispatches", Integer, nullable=False, default=1, server_default="1"),
    Column("holder", String(128)),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("video_id", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_events_video_id", "video_id"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("content", Text, nullable=False),
    Column("type", String(20), nullable=False),
    Column("video_id", String(64), ForeignKey("videos.id", ondelete="SET NULL")),
    Column("community_id", String(255), index=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("video_id", String(64), index=True),
    Column("length", BigInteger),
    Column("upload_offset", BigInteger, nullable=False, default=0),
    Column("concat", String(10)),
    Column("parts", JSON, nullable=False, default=list),
    Column("meta", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("finished_at", UTCDateTime()),
    Column("lock_owner", String(128)),
    Column("lock_expires_at", UTCDateTime()),
    # The upload-data store's state, committed with upload_offset (migration 0070).
    Column("store_state", JSON),
)

# --- webhooks (migration 0005_webhooks) ------------------------------------------------------

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(64), primary_key=True),
    # NULL owner: the global endpoint (VIDHOST_WEBHOOK_URL), which receives every owner's events.
    Column("owner", String(255), index=True),
    Column("url", Text, nullable=False),
    Column("secret", String(255), nullable=False),
    Column("previous_secret", String(255)),
    Column("previous_secret_until", UTCDateTime()),
    Column("events", JSON, nullable=False, default=list),
    Column("description", Text),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # How bodies are built and signed: vidhost | mux | cloudflare (webhooks/formats.py).
    Column("format", String(20), nullable=False, default="vidhost", server_default="vidhost"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "endpoint_id",
        String(64),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("message_id", String(64), nullable=False),
    Column("source_event_id", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("video_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime()),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("endpoint_id", "message_id", name="uq_webhook_deliveries_message"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(64),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempted_at", UTCDateTime(), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("error", Text),
)

outbox_cursors = Table(
    "outbox_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_event_id", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# --- playback signing keys (migration 0006_signing_keys) -------------------------------------

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("public_pem", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("deleted_at", UTCDateTime()),
)

server_keys = Table(
    "server_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kid", String(64), nullable=False, unique=True),
    Column("private_pem", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The Mux-compatible API's tables are its own: ``vidhost/providers/mux/tables.py``.

# --- static renditions (downloads, ADR 0065) -----------------------------------------------

static_renditions = Table(
    "static_renditions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("video_id", String(64), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("spec", String(32), nullable=False),
    Column("origin", String(32), nullable=False),
    Column("status", String(20), nullable=False),
    Column("rung", String(32)),
    Column("width", Integer),
    Column("height", Integer),
    Column("bitrate", BigInteger),
    Column("size_bytes", BigInteger),
    Column("passthrough", String(255)),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("video_id", "name", name="uq_static_renditions_video_name"),
)

# --- text tracks (captions, ADR 0068) -------------------------------------------------------

text_tracks = Table(
    "text_tracks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("video_id", String(64), nullable=False, index=True),
    Column("language", String(35), nullable=False),
    Column("name", String(128), nullable=False),
    Column("closed_captions", Boolean, nullable=False),
    Column("generated", Boolean, nullable=False),
    Column("source", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("text_type", String(20), nullable=False),
    Column("detected_language", String(35)),
    Column("passthrough", String(255)),
    Column("url", Text),
    Column("size_bytes", BigInteger),
    Column("cues", Integer),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # 0096_track_words: the words as plain text, searched by ``GET /api/videos?q=``
    Column("words", Text),
)

VIDEO_ROWS = (static_renditions, text_tracks)
"""Tables whose rows belong to one video (``video_id``) and are deleted with it, in the
transaction that marks it deleted (``SqlVideoStore.change_state``); their stored files are
under the video's prefix (``VideoService.remove_stored``)."""
