"""The tables of the history store, in SQLAlchemy Core.

The store is a small star schema: one row per run, one row per distinct test (a dimension
that turns a long stable test id into a small integer), and one row per test per run.
Results are the big table (a thousand runs of ten thousand tests is ten million rows), so
its rows are kept narrow: integer keys, a small integer status code, a float duration.

Migrations live in ``migrations/versions``; this module is the current shape and is what
queries are written against. Change both together, and bump :data:`SCHEMA_VERSION` (kept, with
the head revision and the status codes, in :mod:`testgate.history.constants`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from testgate.history.constants import (
    HEAD_REVISION,
    RESULT_ID_BITS,
    SCHEMA_VERSION,
    STATUS_CODES,
    STATUS_NAMES,
)

__all__ = [
    "HEAD_REVISION",
    "RESULT_ID_BITS",
    "SCHEMA_VERSION",
    "STATUS_CODES",
    "STATUS_NAMES",
    "coverage_files",
    "metadata",
    "metrics",
    "results",
    "runs",
    "step_cache",
    "steps",
    "testmaps",
    "tests",
]

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    # internal key; results refer to it (an integer keeps the results table narrow)
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the run's own id (Run.id), what users see and type
    Column("uid", String(200), nullable=False, unique=True),
    Column("project", String(200), nullable=False, default=""),
    Column("branch", String(255), nullable=True, index=True),
    Column("commit", String(64), nullable=True, index=True),
    Column("base_ref", String(255), nullable=True),
    # UTC, naive; runs are ordered by (started_at, id)
    Column("started_at", DateTime, nullable=False, index=True),
    Column("finished_at", DateTime, nullable=True),
    Column("recorded_at", DateTime, nullable=False),
    Column("duration_s", Float, nullable=True),
    # passed | failed | interrupted, from the tests and steps
    Column("status", String(16), nullable=False),
    # the gate verdict's status when gates were evaluated (pass, fail, warn), else NULL
    Column("verdict", String(32), nullable=True),
    Column("interrupted", Boolean, nullable=False, default=False),
    # counts kept on the run so outage detection never scans results
    Column("tests_total", Integer, nullable=False, default=0),
    Column("tests_failed", Integer, nullable=False, default=0),
    # CI facts, report refs, the verdict document: small, read whole
    Column("meta", JSON, nullable=False),
)

tests = Table(
    "tests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the stable test id (TestCase.id); one row per distinct test ever seen
    Column("test_id", Text, nullable=False, unique=True),
    Column("suite", Text, nullable=False, default=""),
    Column("classname", Text, nullable=False, default=""),
    Column("name", Text, nullable=False),
    Column("file", Text, nullable=True),
)

results = Table(
    "results",
    metadata,
    # (runs.id << 24) + position: ids of one run are contiguous, so reading a run is a range
    # scan of the table itself and inserting a run appends at the end of it; on SQLite this
    # column is the rowid (INTEGER PRIMARY KEY), so no separate index is maintained for it
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("test", Integer, ForeignKey("tests.id"), nullable=False),
    # STATUS_CODES: 0 passed, 1 failed, 2 error, 3 skipped
    Column("status", SmallInteger, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=1),
    # failed and then passed on a retry within this run
    Column("flaky", Boolean, nullable=False, default=False),
    # the first line of the failure message, bounded (the full one stays in summary.json)
    Column("message", String(500), nullable=True),
    # why a failure failed (assertion, infrastructure, ...) and its cause's fingerprint, set by
    # testgate.triage; NULL for passed and skipped results (revision "0002")
    Column("category", String(64), nullable=True),
    Column("fingerprint", String(32), nullable=True),
    # one test's history: by test, then run
    Index("ix_results_test_run", "test", "run_id"),
    # only the interesting rows (failures and retries): flaky and broken queries start from
    # here, so they cost the number of failures, not the number of results
    Index(
        "ix_results_unhealthy",
        "test",
        "run_id",
        sqlite_where=text("status IN (1, 2) OR flaky"),
        postgresql_where=text("status IN (1, 2) OR flaky"),
    ),
    # when a cause was first seen: only failures have a fingerprint
    Index(
        "ix_results_fingerprint",
        "fingerprint",
        "run_id",
        sqlite_where=text("fingerprint IS NOT NULL"),
        postgresql_where=text("fingerprint IS NOT NULL"),
    ),
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_metrics_name_run", "name", "run_id"),
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("stage", String(255), nullable=False, default=""),
    Column("name", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("exit_code", Integer, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("duration_s", Float, nullable=False, default=0.0),
)

coverage_files = Table(
    "coverage_files",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("covered_lines", Integer, nullable=False),
    Column("total_lines", Integer, nullable=False),
    Column("covered_branches", Integer, nullable=False, default=0),
    Column("total_branches", Integer, nullable=False, default=0),
)

#: Per-test coverage maps (``testgate.select``): which code blocks each test of a step ran, at
#: a commit. One row per recorded step run; parallel CI jobs (shards) each add their own row
#: and readers take the union of a commit's rows, so writers never contend for one row.
testmaps = Table(
    "testmaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commit", String(64), nullable=False),
    # the step's key (stage/name)
    Column("step", String(255), nullable=False),
    # the run that measured it (Run.id); a run records a step's map once
    Column("run_uid", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("tests", Integer, nullable=False),
    # zlib-compressed JSON ("schema": "testgate.testmap/1"), read whole
    Column("data", LargeBinary, nullable=False),
    Index("ix_testmaps_commit_step", "commit", "step"),
    Index("ux_testmaps_run_step", "run_uid", "step", unique=True),
)

#: The step cache (``testgate.pipeline.cache``) when it lives in a database: one entry per key.
step_cache = Table(
    "step_cache",
    metadata,
    # hex SHA-256 of the step's command, env, inputs and testgate's version
    Column("key", String(64), primary_key=True),
    Column("step", String(255), nullable=False),
    Column("run_uid", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    # zlib-compressed JSON: the step's result and its report files
    Column("data", LargeBinary, nullable=False),
)
