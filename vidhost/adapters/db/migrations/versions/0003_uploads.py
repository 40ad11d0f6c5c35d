"""uploads: resumable (tus) upload sessions with a cross-process write lock

Revision ID: 0003_uploads
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_uploads"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("video_id", sa.String(length=64), nullable=True),
        sa.Column("length", sa.BigInteger(), nullable=True),
        sa.Column("upload_offset", sa.BigInteger(), nullable=False),
        sa.Column("concat", sa.String(length=10), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_owner", sa.String(length=128), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index("ix_uploads_owner", ["owner"], unique=False)
        batch_op.create_index("ix_uploads_video_id", ["video_id"], unique=False)
        batch_op.create_index("ix_uploads_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_uploads_expires_at")
        batch_op.drop_index("ix_uploads_video_id")
        batch_op.drop_index("ix_uploads_owner")
    op.drop_table("uploads")
