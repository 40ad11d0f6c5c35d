"""dispatch lease: how many messages were sent for each task (ADR 0073)

``dispatched_at`` was already the time of the last dispatch; since ADR 0073 it is also the
dispatch lease: the reconciler re-sends a task only with a conditional update that moves it
(one API node wins), and a worker holding a redelivered message of a task still held renews
it. ``dispatches`` counts every message sent for the row (the first included), so duplicate
dispatches are visible. ``holder`` names the process of the current claim
(``<host>:<pid>:<instance id>``): operators (and tests) see which worker runs what.

Revision ID: 0073_dispatch_lease
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0073_dispatch_lease"
down_revision = "0001_core"
branch_labels = None
# 0007 rebuilds the tasks table on SQLite with a fixed column list: add ours after it.
depends_on = "0007_task_parts"


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dispatches", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("holder", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("holder")
        batch_op.drop_column("dispatches")
