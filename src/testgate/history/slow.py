"""Slow and slowing tests, from the durations of the last runs.

Per test, over the window: the median (p50) and p95 duration and the total time spent. A test
is **slowing** when the median of its recent runs exceeds the median of its earlier runs by
more than ``factor`` (and by at least ``min_delta_s``, so that a test going from 1 ms to 2 ms
is not news). The recent runs are the last quarter of the test's results (at least three).
Skipped results are left out; the analysis is a pure function of a
:class:`~testgate.history.store.ResultsWindow`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from testgate.history.rows import ResultsWindow

if TYPE_CHECKING:
    from testgate.history.reads import ReadQueries

__all__ = [
    "SlowParams",
    "SlowReport",
    "TestTiming",
    "analyze",
    "analyze_series",
    "find_slow",
    "percentile",
]


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
    series = {test: [d for _, d in obs] for test, obs in window.durations.items()}
    return analyze_series(series, len(window.runs), params)


def _timing(test: str, values: list[float], params: SlowParams) -> TestTiming:
    """One test's timing (its share of the total is set by the caller)."""
    ordered = sorted(values)
    t = TestTiming(
        test=test,
        runs=len(values),
        p50_s=percentile(ordered, 50.0),
        p95_s=percentile(ordered, 95.0),
        total_s=sum(values),
        last_s=values[-1],
    )
    if len(values) >= params.min_runs:
        k = max(3, len(values) // 4)
        recent, earlier = values[-k:], values[:-k]
        t.recent_p50_s, t.earlier_p50_s = _median(recent), _median(earlier)
        if t.earlier_p50_s > 0:
            t.ratio = t.recent_p50_s / t.earlier_p50_s
    return t


#: slack for the rounding of an interpolated median against the bounds it lies between
_SLACK = 1e-9


def _cannot_rise(values: list[float], params: SlowParams) -> bool:
    """Whether the test cannot be slowing, from bounds alone: a median lies between the
    smallest and the largest of its values, so the recent median is at most the largest recent
    value and the earlier one at least the smallest earlier value. Errs on "may rise" (NaN,
    infinities and empty halves compare false), so that :func:`_timing` decides exactly."""
    k = max(3, len(values) // 4)
    earlier = values[:-k]
    if not earlier:
        return False
    high, low = max(values[-k:]), min(earlier)
    slack = _SLACK * (abs(high) + abs(low))
    if high - low < params.min_delta_s - slack:
        return True  # the medians cannot differ by min_delta_s
    return low > 0 and high < params.factor * low * (1 - _SLACK)  # nor by the factor


def analyze_series(
    series: dict[str, list[float]], runs_analysed: int, params: SlowParams
) -> SlowReport:
    """Timings of every test of *series* (test id -> its durations in run order, skipped
    results left out; see :meth:`~testgate.history.reads.ReadQueries.duration_series`) over
    *runs_analysed* runs (pure).

    Every test's total is summed; percentiles and medians, which sort, are computed only for
    the tests the report shows (the top by total time, and those whose bounds allow a rise)."""
    grand = 0.0
    totals: dict[str, float] = {}
    maybe_rising: list[str] = []
    for test, values in series.items():
        if not values:
            _timing(test, values, params)  # raises, as a test without a result always did
        total = sum(values)
        grand += total
        totals[test] = total
        if len(values) >= params.min_runs and not _cannot_rise(values, params):
            maybe_rising.append(test)
    timings: dict[str, TestTiming] = {}

    def timing(test: str) -> TestTiming:
        t = timings.get(test)
        if t is None:
            t = timings[test] = _timing(test, series[test], params)
            t.share = t.total_s / grand if grand else 0.0
        return t

    # equal to sorted(...)[:top] (heapq documents it); test ids are unique, so no ties remain
    top = [timing(x) for x in heapq.nsmallest(params.top, totals, key=lambda x: (-totals[x], x))]
    rising = [
        t
        for t in map(timing, maybe_rising)
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
        runs_analysed=runs_analysed,
        tests_analysed=len(totals),
        total_s=grand,
        params=params,
    )


def find_slow(
    store: ReadQueries, params: SlowParams | None = None, *, branch: str | None = None
) -> SlowReport:
    from testgate._gc import paused

    params = params or SlowParams()
    runs = store.window_runs(branch, params.window)
    # half a million durations in lists: no cycles among them for the collector to find
    with paused():
        return analyze_series(store.duration_series(runs), len(runs), params)
