"""webhook endpoints choose a body and signature format: vidhost | mux | cloudflare

Revision ID: 0091_webhook_format
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0091_webhook_format"
down_revision = "0001_core"
branch_labels = None
depends_on = ("0005_webhooks",)


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("format", sa.String(20), nullable=False, server_default="vidhost")
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_column("format")
