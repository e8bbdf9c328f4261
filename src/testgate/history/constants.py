"""The history store's constants that readers need without the table definitions.

:mod:`testgate.history.schema` (SQLAlchemy) re-exports them; the commands that only read a
SQLite store (:mod:`testgate.history.reads`) import them from here, without SQLAlchemy.
"""

from __future__ import annotations

__all__ = ["HEAD_REVISION", "RESULT_ID_BITS", "SCHEMA_VERSION", "STATUS_CODES", "STATUS_NAMES"]

# SCHEMA_VERSION history (one Alembic revision per bump, forward-only):
#   1: runs, tests, results, metrics, steps, coverage_files (revision "0001").
#   2: results.category and results.fingerprint of failures, set by triage (revision "0002").
#   3: testmaps (per-test coverage maps for selection), step_cache (revision "0003").
SCHEMA_VERSION = 3
#: the Alembic revision that matches this schema; checked against the scripts by a test
HEAD_REVISION = "0003"

#: test status -> the small integer stored in ``results.status``
STATUS_CODES: dict[str, int] = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}
STATUS_NAMES: dict[int, str] = {v: k for k, v in STATUS_CODES.items()}

#: results.id = run key << RESULT_ID_BITS | position in the run; a run's results are one id range
RESULT_ID_BITS = 24
