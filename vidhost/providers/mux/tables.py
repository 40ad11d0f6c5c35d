"""The Mux-compatible API's tables (ADR 0091): the provider owns them, as it owns their
revisions (``migrations/``, ADR 0077). The schema itself is those revisions'.

Timestamps are ``DateTime(timezone=True)`` columns, as the revisions create them; SQLite keeps
them without a zone, so ``SqlMuxStore`` reads and writes them through
``vidhost.core.models.as_utc`` (the rule ``adapters.db.tables.UTCDateTime`` applies to the
core's tables), never a naive or non-UTC ``datetime``.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()
TIMESTAMP = DateTime(timezone=True)

mux_access_tokens = Table(
    "mux_access_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    # SHA-256 of the secret (a 32-byte random value): the secret itself is never stored.
    Column("secret_hash", String(64), nullable=False),
    Column("name", Text),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("revoked_at", TIMESTAMP),
)

mux_uploads = Table(
    "mux_uploads",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("upload_id", String(64), nullable=False),  # the resumable upload holding the bytes
    Column("video_id", String(64), nullable=False, index=True),
    Column("status", String(20), nullable=False),  # waiting | cancelled | timed_out
    Column("cors_origin", Text),
    Column("new_asset_settings", JSON, nullable=False, default=dict),
    Column("timeout", Integer, nullable=False),
    Column("test", Boolean, nullable=False, default=False),
    Column("created_at", TIMESTAMP, nullable=False),
)

mux_playback_ids = Table(
    "mux_playback_ids",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("video_id", String(64), nullable=False, index=True),
    Column("owner", String(255), nullable=False),
    Column("policy", String(10), nullable=False),  # public | signed
    Column("created_at", TIMESTAMP, nullable=False),
)
