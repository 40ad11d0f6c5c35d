"""uploads: the upload-data store's committed state (S3 multipart id, parts, tail; ADR 0070)

Revision ID: 0070_upload_store_state
Revises: 0003_uploads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0070_upload_store_state"
down_revision = "0003_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_state", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("store_state")
