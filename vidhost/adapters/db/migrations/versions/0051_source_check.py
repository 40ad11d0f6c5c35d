"""accepted source: probed container format and storage ETag (ADR 0051)

Revision ID: 0051_source_check
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0051_source_check"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_format", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("source_etag", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_column("source_etag")
        batch_op.drop_column("source_format")
