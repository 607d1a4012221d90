"""ELAN-class annotation: tier hierarchy, annotation parents, word language tags,
participant fields and controlled vocabularies.

- ``tiers.parent_id`` / ``tiers.constraint``: a child tier and its ELAN
  stereotype (``symbolic_association``, ``symbolic_subdivision``,
  ``included_in``, ``time_subdivision``; NULL = independent time-aligned);
  ``tiers.cv_id``: the controlled vocabulary its values come from.
- ``segments.parent_id`` (the parent annotation) and ``segments.ordinal`` (order
  among the children of one parent on a subdivision tier);
  ``segments.word_langs``: the language of each word (code-switching tags).
- ``speakers.birth_year`` / ``speakers.region`` (participant metadata).
- ``controlled_vocabularies`` and ``cv_entries``.

Old projects upgrade in place: every existing tier is independent and
time-aligned, every segment has no parent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "controlled_vocabularies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "cv_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cv_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["cv_id"], ["controlled_vocabularies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cv_id", "value", name="uq_cv_entry_value"),
    )
    with op.batch_alter_table("tiers") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("constraint", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("cv_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_tiers_parent", "tiers", ["parent_id"], ["id"])
        batch.create_foreign_key(
            "fk_tiers_cv", "controlled_vocabularies", ["cv_id"], ["id"], ondelete="SET NULL"
        )
    # plain ADD COLUMN (no table rebuild): the FTS triggers on segments stay as they are
    op.add_column("segments", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.add_column("segments", sa.Column("ordinal", sa.Integer(), nullable=True))
    op.add_column("segments", sa.Column("word_langs", sa.JSON(), nullable=True))
    op.create_index("ix_segments_parent", "segments", ["parent_id"])
    op.create_index("ix_segments_tier_recording", "segments", ["tier_id", "recording_id"])
    op.add_column("speakers", sa.Column("birth_year", sa.Integer(), nullable=True))
    op.add_column("speakers", sa.Column("region", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("speakers", "region")
    op.drop_column("speakers", "birth_year")
    op.drop_index("ix_segments_tier_recording", "segments")
    op.drop_index("ix_segments_parent", "segments")
    op.drop_column("segments", "word_langs")
    op.drop_column("segments", "ordinal")
    op.drop_column("segments", "parent_id")
    with op.batch_alter_table("tiers") as batch:
        batch.drop_constraint("fk_tiers_cv", type_="foreignkey")
        batch.drop_constraint("fk_tiers_parent", type_="foreignkey")
        batch.drop_column("cv_id")
        batch.drop_column("constraint")
        batch.drop_column("parent_id")
    op.drop_table("cv_entries")
    op.drop_table("controlled_vocabularies")
