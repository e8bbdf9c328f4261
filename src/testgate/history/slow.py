"""Slow and slowing tests, from the durations of the last runs.

Per test, over the window: the median (p50) and p95 duration and the total time spent. A test
is **slowing** when the median of its recent runs exceeds the median of its earlier runs by
more than ``factor`` (and by at least ``min_delta_s``, so that a test going from 1 ms to 2 ms
is not news). The recent runs are the last quarter of the test's results (at least three).
Skipped results are left out; the analysis is a pure function of a
:class:`~testgate.history.store.ResultsWindow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from testgate.history.store import ResultsWindow

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["SlowParams", "SlowReport", "TestTiming", "analyze", "find_slow", "percentile"]


@dataclass(frozen=True, slots=True)
class SlowParams:
    window: int = 50
    #: how many tests to list by total time
    top: int = 10
    #: recent median / earlier median above which a test is slowing
    factor: float = 1.5
    #: ... and the recent median must be at least this many seconds more
    min_delta_s: float = 0.05
    #: results a test needs before it can be called slowing
    min_runs: int = 6

    def __post_init__(self) -> None:
        if self.factor <= 1.0:
            raise ValueError(f"factor must be above 1, got {self.factor}")
        if self.top < 1 or self.window < 2:
            raise ValueError("top must be at least 1 and window at least 2")


@dataclass(slots=True)
class TestTiming:
    __test__ = False

    test: str
    runs: int
    p50_s: float
    p95_s: float
    total_s: float
    last_s: float
    recent_p50_s: float | None = None
    earlier_p50_s: float | None = None
    #: recent median / earlier median, when both exist
    ratio: float | None = None
    share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "runs": self.runs,
            "p50_s": round(self.p50_s, 6),
            "p95_s": round(self.p95_s, 6),
            "total_s": round(self.total_s, 6),
            "share": round(self.share, 4),
            "last_s": round(self.last_s, 6),
            "recent_p50_s": None if self.recent_p50_s is None else round(self.recent_p50_s, 6),
            "earlier_p50_s": None if self.earlier_p50_s is None else round(self.earlier_p50_s, 6),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
        }


@dataclass(slots=True)
class SlowReport:
    top: list[TestTiming]
    rising: list[TestTiming]
    runs_analysed: int
    tests_analysed: int
    total_s: float
    params: SlowParams = field(default_factory=SlowParams)

    def to_dict(self) -> dict[str, Any]:
        return {
            "top": [t.to_dict() for t in self.top],
            "rising": [t.to_dict() for t in self.rising],
            "runs_analysed": self.runs_analysed,
            "tests_analysed": self.tests_analysed,
            "total_s": round(self.total_s, 3),
            "window": self.params.window,
            "factor": self.params.factor,
        }


def percentile(ordered: Sequence[float], q: float) -> float:
    """The *q*-th percentile (0-100) of sorted values, interpolating linearly."""
    if not ordered:
        raise ValueError("percentile of no values")
    k = (len(ordered) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _median(values: Sequence[float]) -> float:
    return percentile(sorted(values), 50.0)


def analyze(window: ResultsWindow, params: SlowParams) -> SlowReport:
    """Timings of every test in *window* (pure)."""
    timings: list[TestTiming] = []
    grand = 0.0
    for test, obs in window.durations.items():
        values = [d for _, d in obs]
        ordered = sorted(values)
        total = sum(values)
        grand += total
        t = TestTiming(
            test=test,
            runs=len(values),
            p50_s=percentile(ordered, 50.0),
            p95_s=percentile(ordered, 95.0),
            total_s=total,
            last_s=values[-1],
        )
        if len(values) >= params.min_runs:
            k = max(3, len(values) // 4)
            recent, earlier = values[-k:], values[:-k]
            t.recent_p50_s, t.earlier_p50_s = _median(recent), _median(earlier)
            if t.earlier_p50_s > 0:
                t.ratio = t.recent_p50_s / t.earlier_p50_s
        timings.append(t)
    for t in timings:
        t.share = t.total_s / grand if grand else 0.0
    top = sorted(timings, key=lambda t: (-t.total_s, t.test))[: params.top]
    rising = [
        t
        for t in timings
        if t.ratio is not None
        and t.recent_p50_s is not None
        and t.earlier_p50_s is not None
        and t.ratio > params.factor
        and t.recent_p50_s - t.earlier_p50_s >= params.min_delta_s
    ]
    rising.sort(key=lambda t: (-(t.ratio or 0.0), t.test))
    return SlowReport(
        top=top,
        rising=rising,
        runs_analysed=len(window.runs),
        tests_analysed=len(timings),
        total_s=grand,
        params=params,
    )


def find_slow(
    store: HistoryStore, params: SlowParams | None = None, *, branch: str | None = None
) -> SlowReport:
    params = params or SlowParams()
    window = store.results_window(branch, params.window, outcomes=False, durations=True)
    return analyze(window, params)
