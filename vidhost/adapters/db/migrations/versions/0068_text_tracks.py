"""Text tracks (captions and subtitles) of videos, ADR 0068

Revision ID: 0068_text_tracks
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0068_text_tracks"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "text_tracks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("video_id", sa.String(64), nullable=False, index=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("closed_captions", sa.Boolean(), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("text_type", sa.String(20), nullable=False),
        sa.Column("detected_language", sa.String(35)),
        sa.Column("passthrough", sa.String(255)),
        sa.Column("url", sa.Text()),
        sa.Column("size_bytes", sa.BigInteger()),
        sa.Column("cues", sa.Integer()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("text_tracks")
