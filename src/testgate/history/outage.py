"""Outages: runs that say nothing about the code, because the infrastructure failed.

A run in which most tests failed at once (a database down, a runner out of disk) is an outage,
and so is a run someone marked as one (``testgate history mark RUN --outage``). A *partial*
outage is many tests of one run failing with the same fingerprint (one cause, see
:mod:`testgate.triage`): those failures are one infrastructure cluster. Flaky/broken
analysis leaves outage runs out of its scores, and alerts neither fire on an outage nor compare
a run against one: an outage is not a regression, and the run after it is not a recovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "OUTAGE_FRACTION",
    "OUTAGE_MIN_TESTS",
    "PARTIAL_OUTAGE_MIN_TESTS",
    "is_outage",
    "outage_reason",
]

#: a run where more than this fraction of its tests failed is an outage ...
OUTAGE_FRACTION = 0.5
#: ... when it ran at least this many tests (three failures of five is not an outage)
OUTAGE_MIN_TESTS = 10
#: a partial outage: at least this many tests of one run failing with one fingerprint (one
#: cause: a service down for one step, a shared fixture that could not connect). Its failures
#: are one infrastructure cluster, and none of its tests becomes "flaky" because of it
PARTIAL_OUTAGE_MIN_TESTS = 5


def outage_reason(
    tests_total: int,
    tests_failed: int,
    meta: Mapping[str, Any] | None = None,
    *,
    fraction: float = OUTAGE_FRACTION,
    min_tests: int = OUTAGE_MIN_TESTS,
) -> str | None:
    """Why a run is an outage (its mark, or most of its tests failing), or None."""
    mark = (meta or {}).get("outage")
    if isinstance(mark, dict):
        return f"marked as an outage: {mark.get('reason') or 'no reason given'}"
    if tests_total >= min_tests and tests_failed > fraction * tests_total:
        return f"{tests_failed} of {tests_total} tests failed at once"
    return None


def is_outage(
    tests_total: int,
    tests_failed: int,
    meta: Mapping[str, Any] | None = None,
    *,
    fraction: float = OUTAGE_FRACTION,
    min_tests: int = OUTAGE_MIN_TESTS,
) -> bool:
    return (
        outage_reason(tests_total, tests_failed, meta, fraction=fraction, min_tests=min_tests)
        is not None
    )
