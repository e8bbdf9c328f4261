"""Risk: which selected tests should run first, so that the first failure comes early.

From the history store's last runs (``selection`` looks at the last :data:`WINDOW`):

1. failed recently: the test failed or errored in one of those runs (failed in the last run
   it ran in counts most: such a test always runs, selected or not);
2. flaky score: how often its outcome flipped between consecutive runs, or it passed only on
   a retry (0..1);
3. directness: 1.0 for a test that ran a changed function, 0.6 for one that ran a file whose
   module-level code changed, 0.5 for one whose test file imports a changed module, 0.3 for
   a test that runs because its step runs whole;
4. then shortest first (its mean duration over those runs).

The ``risk`` number shown is ``0.5 * failed + 0.3 * flaky + 0.2 * directness``; the order is
the lexicographic one above.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["WINDOW", "History", "load_history", "risk_of", "sort_key"]

#: how many recent runs risk looks at
WINDOW = 10


@dataclass(slots=True)
class History:
    """What the recent runs say about each test id."""

    #: failed or errored in the last run it ran in
    failed_last: set[str] = field(default_factory=set)
    #: failures in the window, per test id
    failures: dict[str, int] = field(default_factory=dict)
    flaky: dict[str, float] = field(default_factory=dict)
    duration: dict[str, float] = field(default_factory=dict)
    runs: int = 0


def load_history(store: HistoryStore, branch: str | None = None) -> History:
    """The facts of the last :data:`WINDOW` runs (of *branch* when it has runs, else of all)."""
    runs = store.window_runs(branch, WINDOW) if branch else []
    if not runs:
        runs = store.window_runs(None, WINDOW)
    out = History(runs=len(runs))
    if not runs:
        return out
    window = store.results_window(None, WINDOW, runs=runs, durations=True)
    for test, seq in window.outcomes.items():
        fails = [status in (1, 2) for _i, status, _f, _a in seq]
        if fails and fails[-1]:
            out.failed_last.add(test)
        n = sum(fails)
        if n:
            out.failures[test] = n
        flips = sum(1 for a, b in itertools.pairwise(fails) if a != b)
        retried = sum(1 for _i, _s, flaky, _a in seq if flaky)
        if len(seq) > 1 and (flips or retried):
            out.flaky[test] = round(min(1.0, (flips + retried) / (len(seq) - 1 or 1)), 3)
        elif retried:
            out.flaky[test] = 1.0
    for test, dseq in window.durations.items():
        if dseq:
            out.duration[test] = sum(d for _i, d in dseq) / len(dseq)
    return out


def risk_of(history: History, test_id: str, directness: float) -> float:
    failed = 1.0 if test_id in history.failed_last else (0.5 if test_id in history.failures else 0)
    return round(0.5 * failed + 0.3 * history.flaky.get(test_id, 0.0) + 0.2 * directness, 3)


def sort_key(history: History, test_id: str, directness: float) -> tuple[float, ...]:
    """Ascending sort key: riskiest first, then shortest first."""
    failed = 2 if test_id in history.failed_last else (1 if test_id in history.failures else 0)
    return (
        -failed,
        -history.flaky.get(test_id, 0.0),
        -directness,
        history.duration.get(test_id, float("inf")),
    )
