"""Quarantine: the configuration's entries applied to a run.

A quarantined test still runs and its result is kept, but its failure fails neither the run
nor the gates (as pytest's ``xfail`` does): :func:`testgate.workflow.run_failed` leaves it out,
and the gates leave it out of ``tests.*``. Each entry names an owner, a reason and an expiry
date; after that date the entry quarantines nothing and the run says so with a warning.
``quarantine.tests`` and ``quarantine.percent`` count the tests an active entry matched
(``quarantine.budget`` is a gate on them).

Pure: no I/O, and today's date comes from the caller.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import re
from collections.abc import Sequence
from typing import Any

from testgate.gates.spec import QuarantineEntry
from testgate.model import Run

__all__ = ["apply_quarantine", "expired", "matcher"]


def expired(entry: QuarantineEntry, today: _dt.date | None) -> bool:
    """Whether *entry* no longer counts on *today* (it still counts on its expiry date)."""
    return bool(entry.expires and today and _dt.date.fromisoformat(entry.expires) < today)


def matcher(pattern: str) -> re.Pattern[str]:
    """A test id, or an fnmatch pattern of test ids (``e2e/*::test_upload*``)."""
    return re.compile(fnmatch.translate(pattern))


def apply_quarantine(
    run: Run, entries: Sequence[QuarantineEntry], today: _dt.date | None
) -> list[str]:
    """Record on *run* which tests each entry matches, set ``quarantine.*`` metrics, and return
    a warning for each expired entry (whose tests' failures count again)."""
    warnings: list[str] = []
    applied: list[dict[str, Any]] = []
    ids = [t.id for t in run.tests]
    exact = set(ids)
    for q in entries:
        if any(ch in q.test for ch in "*?["):
            rx = matcher(q.test).match
            matched = sorted({tid for tid in ids if tid == q.test or rx(tid)})
        else:
            matched = [q.test] if q.test in exact else []
        gone = expired(q, today)
        applied.append(
            {
                "test": q.test,
                "owner": q.owner,
                "reason": q.reason,
                "expires": q.expires,
                "expired": gone,
                "tests": matched,
            }
        )
        if gone:
            owner = f" (owner {q.owner})" if q.owner else ""
            warnings.append(
                f"quarantine entry for {q.test}{owner} expired on {q.expires}; its failures "
                "count again"
            )
    run.quarantine = applied
    if entries:
        n = len(run.quarantined())
        run.metrics["quarantine.tests"] = n
        total = len(run.tests)
        run.metrics["quarantine.percent"] = round(100.0 * n / total, 4) if total else 0.0
    return warnings
