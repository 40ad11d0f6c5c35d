"""Mux direct uploads and playback ids (public | signed) of videos

Revision ID: 0093_mux_playback
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0093_mux_playback"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mux_uploads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=False, index=True),
        sa.Column("upload_id", sa.String(64), nullable=False),
        sa.Column("video_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("cors_origin", sa.Text()),
        sa.Column("new_asset_settings", sa.JSON(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "mux_playback_ids",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("video_id", sa.String(64), nullable=False, index=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("policy", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mux_playback_ids")
    op.drop_table("mux_uploads")
