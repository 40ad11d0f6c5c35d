"""task parts (chunk index in the task key) and claim fences

Revision ID: 0007_task_parts
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_task_parts"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
COLUMNS = (
    "video_id, kind, status, progress, error_code, error, attempts, created_at, updated_at, "
    "heartbeat_at, dispatched_at"
)


def _tasks_table(name: str, *, parts: bool) -> None:
    key = ["video_id", "kind", "part"] if parts else ["video_id", "kind"]
    extra: list[sa.schema.SchemaItem] = (
        [
            sa.Column("part", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("claim_token", sa.String(64), nullable=True),
        ]
        if parts
        else []
    )
    op.create_table(
        name,
        sa.Column("video_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.Column("dispatched_at", TS, nullable=True),
        *extra,
        sa.ForeignKeyConstraint(["video_id"], ["videos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key, name="tasks_pkey"),
    )


def _rebuild(*, parts: bool) -> None:
    """SQLite cannot change a primary key in place: copy into a new table."""
    _tasks_table("tasks_new", parts=parts)
    op.execute(f"INSERT INTO tasks_new ({COLUMNS}) SELECT {COLUMNS} FROM tasks")
    op.drop_index("ix_tasks_status", table_name="tasks")
    op.drop_table("tasks")
    op.rename_table("tasks_new", "tasks")
    op.create_index("ix_tasks_status", "tasks", ["status"])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild(parts=True)
        return
    op.add_column("tasks", sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("tasks", sa.Column("claim_token", sa.String(64), nullable=True))
    op.drop_constraint("tasks_pkey", "tasks", type_="primary")
    op.create_primary_key("tasks_pkey", "tasks", ["video_id", "kind", "part"])


def downgrade() -> None:
    op.execute("DELETE FROM tasks WHERE part <> 0")
    if op.get_bind().dialect.name != "postgresql":
        _rebuild(parts=False)
        return
    op.drop_constraint("tasks_pkey", "tasks", type_="primary")
    op.create_primary_key("tasks_pkey", "tasks", ["video_id", "kind"])
    op.drop_column("tasks", "claim_token")
    op.drop_column("tasks", "part")
