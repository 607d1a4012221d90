"""One voice profile per speaker *and embedding model*.

Embeddings of different speaker models cannot be compared, so a speaker keeps
one profile per model: ``speaker_profiles``' key becomes ``(speaker_id,
model_id)``. Before, a diarization with another model replaced the profile;
now the old one stays (used again when that model is). Existing rows are kept
as they are. A downgrade keeps each speaker's most recently updated profile.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = "speaker_id, model_id, centroid, count, updated_at"


def _create(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("speaker_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["speaker_id"], ["speakers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    _create("speaker_profiles_new", ("speaker_id", "model_id"))
    op.execute(
        f"INSERT INTO speaker_profiles_new ({COLUMNS}) SELECT {COLUMNS} FROM speaker_profiles"
    )
    op.drop_table("speaker_profiles")
    op.rename_table("speaker_profiles_new", "speaker_profiles")


def downgrade() -> None:
    _create("speaker_profiles_old", ("speaker_id",))
    op.execute(
        f"INSERT INTO speaker_profiles_old ({COLUMNS}) SELECT {COLUMNS} FROM speaker_profiles p "
        "WHERE NOT EXISTS (SELECT 1 FROM speaker_profiles q WHERE q.speaker_id = p.speaker_id "
        "AND (q.updated_at > p.updated_at OR (q.updated_at = p.updated_at "
        "AND q.model_id > p.model_id)))"
    )
    op.drop_table("speaker_profiles")
    op.rename_table("speaker_profiles_old", "speaker_profiles")
