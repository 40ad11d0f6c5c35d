"""direct-to-storage uploads: declared size, upload URL expiry, multipart upload id

Revision ID: 0004_direct
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_direct"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("multipart_upload_id", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_column("multipart_upload_id")
        batch_op.drop_column("upload_expires_at")
        batch_op.drop_column("declared_size")
