"""Idempotent entry writes: the client's ``Idempotency-Key``, unique per child.

Revision ID: 0002_idempotency
Revises: 0001_diary
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_idempotency"
down_revision = "0001_diary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entries", sa.Column("idempotency_key", sa.String(length=100), nullable=True))
    op.create_index("ux_entries_child_idempotency_key", "entries", ["child_id", "idempotency_key"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ux_entries_child_idempotency_key", table_name="entries")
    op.drop_column("entries", "idempotency_key")
