"""``retry_on:``: run a step once more when all its failures are, say, infrastructure.

A refused connection or a full disk says nothing about the code; re-running such a step once
turns noise into a real answer. The retry is recorded on the step (``retried_on``), and the
tests of the first attempt are dropped, so the history counts it as noise, not as flakiness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from testgate.model import ReportData, ReportRef, StepResult
from testgate.triage.categories import CategoryRule, categorize, infrastructure_kind
from testgate.triage.clusters import step_category

__all__ = ["retry_reason"]

_TAIL = 64 * 1024


def _tail(log: Path) -> str:
    try:
        with open(log, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - _TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def retry_reason(
    result: StepResult,
    read: Sequence[tuple[ReportData, ReportRef]],
    retry_on: Sequence[str],
    *,
    log: Path,
    rules: Sequence[CategoryRule] = (),
) -> str | None:
    """Why the failed step deserves its one retry (every failure is of a *retry_on*
    category), or None."""
    if result.status not in ("failed", "timed_out") or not retry_on:
        return None
    failures = [t for data, _ in read for t in data.tests if t.status in ("failed", "error")]
    if failures:
        cats = Counter(categorize(t, rules) for t in failures)
        if not set(cats) <= set(retry_on):
            return None
        kinds = Counter(
            infrastructure_kind(f"{t.message or ''}\n{t.trace or ''}") or "" for t in failures
        )
        kind = ", ".join(k for k, _ in kinds.most_common(3) if k)
        what = " and ".join(sorted(cats))
        n = len(failures)
        return f"{what}: {n} failure{'s' if n != 1 else ''}" + (f" ({kind})" if kind else "")
    # no test failed: the step itself did (a runner that could not reach its database)
    tail = _tail(log)
    cat = step_category(result, tail)
    if cat not in retry_on:
        return None
    found = infrastructure_kind(tail) if cat == "infrastructure" else None
    return f"{cat}: the step failed" + (f" ({found})" if found else "")
