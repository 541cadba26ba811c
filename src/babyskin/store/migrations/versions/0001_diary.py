"""The diary: families, children and assessed entries.

Revision ID: 0001_diary
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_diary"
down_revision = None
branch_labels = None
depends_on = None

JsonDoc = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cli_name", sa.String(length=100), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_families"),
        sa.UniqueConstraint("cli_name", name="uq_families_cli_name"),
        sa.UniqueConstraint("token_sha256", name="uq_families_token_sha256"),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gestation_weeks", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"], ondelete="CASCADE",
                                name="fk_children_family_id_families"),
        sa.PrimaryKeyConstraint("id", name="pk_children"),
        sa.UniqueConstraint("family_id", "name_key", name="uq_children_family_id_name_key"),
    )
    op.create_index("ix_children_family_id", "children", ["family_id"])
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.String(length=100), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("findings", JsonDoc, nullable=False),
        sa.Column("assessment", JsonDoc, nullable=False),
        sa.Column("kb_version", sa.String(length=64), nullable=False),
        sa.Column("leading", sa.String(length=100), nullable=True),
        sa.Column("triage", sa.String(length=20), nullable=False),
        sa.Column("red_flags", JsonDoc, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], ondelete="CASCADE",
                                name="fk_entries_child_id_children"),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
    )
    op.create_index("ix_entries_child_date", "entries", ["child_id", "entry_date", "id"])


def downgrade() -> None:
    op.drop_index("ix_entries_child_date", table_name="entries")
    op.drop_table("entries")
    op.drop_index("ix_children_family_id", table_name="children")
    op.drop_table("children")
    op.drop_table("families")
