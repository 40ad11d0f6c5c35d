"""task parts a player asked for: ``requested_at`` (the claim order of chunks, ADR 0061)

A segment request for a chunk that is not stored yet stamps its row; a worker claims the
most recently requested chunk of a video first (``claim_next_part``).

Revision ID: 0061_chunk_priority
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0061_chunk_priority"
down_revision = "0001_core"
branch_labels = None
# After 0007: on SQLite it rebuilds ``tasks`` with the columns it knows (this one would go).
depends_on = "0007_task_parts"


def upgrade() -> None:
    op.add_column("tasks", sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("requested_at")
