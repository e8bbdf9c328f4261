"""Triage: each failed result's category and fingerprint, so a cause seen before is named.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("category", sa.String(64), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(32), nullable=True))
    # "when was this cause first seen": only failures carry a fingerprint, so the index
    # holds the failures, not every result
    op.create_index(
        "ix_results_fingerprint",
        "results",
        ["fingerprint", "run_id"],
        sqlite_where=sa.text("fingerprint IS NOT NULL"),
        postgresql_where=sa.text("fingerprint IS NOT NULL"),
    )


def downgrade() -> None:  # testgate itself only ever upgrades (forward-only)
    op.drop_index("ix_results_fingerprint", table_name="results")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("fingerprint")
        batch.drop_column("category")
