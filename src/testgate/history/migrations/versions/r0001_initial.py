"""The first schema: runs, tests, results, metrics, steps, coverage_files.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(200), nullable=False, unique=True),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(255), nullable=True),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("base_ref", sa.String(255), nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=True),
        sa.Column("interrupted", sa.Boolean, nullable=False),
        sa.Column("tests_total", sa.Integer, nullable=False),
        sa.Column("tests_failed", sa.Integer, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
    )
    op.create_index("ix_runs_branch", "runs", ["branch"])
    op.create_index("ix_runs_commit", "runs", ["commit"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "tests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("test_id", sa.Text, nullable=False, unique=True),
        sa.Column("suite", sa.Text, nullable=False),
        sa.Column("classname", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=True),
    )
    op.create_table(
        "results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("test", sa.Integer, sa.ForeignKey("tests.id"), nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("attempts", sa.SmallInteger, nullable=False),
        sa.Column("flaky", sa.Boolean, nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
    )
    op.create_index("ix_results_test_run", "results", ["test", "run_id"])
    op.create_index(
        "ix_results_unhealthy",
        "results",
        ["test", "run_id"],
        sqlite_where=sa.text("status IN (1, 2) OR flaky"),
        postgresql_where=sa.text("status IN (1, 2) OR flaky"),
    )
    op.create_table(
        "metrics",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("ix_metrics_name_run", "metrics", ["name", "run_id"])
    op.create_table(
        "steps",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("stage", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
    )
    op.create_table(
        "coverage_files",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("covered_lines", sa.Integer, nullable=False),
        sa.Column("total_lines", sa.Integer, nullable=False),
        sa.Column("covered_branches", sa.Integer, nullable=False),
        sa.Column("total_branches", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in ("coverage_files", "steps", "metrics", "results", "tests", "runs"):
        op.drop_table(name)
