"""the rendition a player asked for: ``requested_rendition`` (the first chunk's rung order,
ADR 0062)

A segment request for the first chunk that is not stored yet names its rung; the worker
encoding the first chunk rung by rung takes that rung next.

Revision ID: 0062_requested_rendition
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0062_requested_rendition"
down_revision = "0001_core"
branch_labels = None
depends_on = "0061_chunk_priority"


def upgrade() -> None:
    op.add_column("tasks", sa.Column("requested_rendition", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("requested_rendition")
