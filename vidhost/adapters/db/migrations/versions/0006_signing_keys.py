"""playback signing keys (users' RS256 public keys) and the server's own playback key

Revision ID: 0006_signing_keys
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_signing_keys"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=False),
        # NULL once deleted: the row stays so that its tokens answer "revoked", not "unknown".
        sa.Column("public_pem", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deleted_at", TS, nullable=True),
    )
    op.create_index("ix_signing_keys_owner", "signing_keys", ["owner"])
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kid", sa.String(64), nullable=False, unique=True),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_keys")
    op.drop_table("signing_keys")
