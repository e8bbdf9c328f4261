"""Selection and the step cache: testmaps (per-test coverage maps), step_cache.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "testmaps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("step", sa.String(255), nullable=False),
        sa.Column("run_uid", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("tests", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_testmaps_commit_step", "testmaps", ["commit", "step"])
    op.create_index("ux_testmaps_run_step", "testmaps", ["run_uid", "step"], unique=True)
    op.create_table(
        "step_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("step", sa.String(255), nullable=False),
        sa.Column("run_uid", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:  # testgate itself only ever upgrades (forward-only)
    op.drop_table("step_cache")
    op.drop_table("testmaps")
