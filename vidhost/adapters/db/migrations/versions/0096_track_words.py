"""text_tracks.words: a track's words as plain text, which ``GET /api/videos?q=`` searches
(issue 22, transcript search; ADR 0068)

Revision ID: 0096_track_words
Revises: 0068_text_tracks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0096_track_words"
down_revision = "0068_text_tracks"  # the table's own migration (a branch of 0001_core)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("text_tracks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("words", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("text_tracks", schema=None) as batch_op:
        batch_op.drop_column("words")
