"""videos.delete_at: a video deleted by itself at a time (Mux test assets, Cloudflare
scheduledDeletion; ADR 0094)

Revision ID: 0094_delete_at
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0094_delete_at"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delete_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_videos_delete_at"), ["delete_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_videos_delete_at"))
        batch_op.drop_column("delete_at")
