"""One run's share of the cumulative Prometheus metrics, computed when the run is recorded.

The dashboard's ``/metrics`` (:mod:`testgate.server.prom`) sums the aggregates kept with every
recorded run, so counters are cumulative over the store and ``rate()`` works across scrapes.
``test_type`` is the pipeline stage that produced the test (``unit``, ``integration``...), or
``tests`` when a report was ingested outside a pipeline.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from testgate.model import Run

__all__ = [
    "COVERAGE_BUCKETS",
    "DURATION_BUCKETS",
    "Aggregate",
    "aggregate_run",
    "error_type",
]

#: seconds; prometheus_client's defaults, extended for slow integration tests
DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
)  # fmt: skip
COVERAGE_BUCKETS: tuple[float, ...] = (50.0, 60.0, 70.0, 80.0, 85.0, 90.0, 95.0, 99.0, 100.0)

_ERROR_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Failure|Timeout|Exit))\b")


def error_type(status: str, message: str | None) -> str:
    """``AssertionError`` from ``"AssertionError: x != y"``, else the status."""
    if message:
        m = _ERROR_NAME.match(message)
        if m:
            return m.group(1).rsplit(".", 1)[-1]
    return "error" if status == "error" else "assertion" if status == "failed" else status


@dataclass(slots=True)
class Aggregate:
    """Counts and histogram buckets, keyed by their label values."""

    #: (test_type, test_suite) -> [bucket counts..., +Inf count], sum of seconds
    durations: dict[tuple[str, str], tuple[list[int], float]] = field(default_factory=dict)
    #: (test_type, status) -> count
    executions: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (test_type, error_type) -> count
    failures: dict[tuple[str, str], int] = field(default_factory=dict)
    #: type (lines, branches) -> [bucket counts..., +Inf], sum of percents
    coverage: dict[str, tuple[list[int], float]] = field(default_factory=dict)

    def add(self, other: Aggregate) -> None:
        for k, (b, s) in other.durations.items():
            mine = self.durations.get(k)
            if mine is None:
                self.durations[k] = (list(b), s)
            else:
                self.durations[k] = ([x + y for x, y in zip(mine[0], b, strict=True)], mine[1] + s)
        for k2, n in other.executions.items():
            self.executions[k2] = self.executions.get(k2, 0) + n
        for k3, n in other.failures.items():
            self.failures[k3] = self.failures.get(k3, 0) + n
        for k4, (b, s) in other.coverage.items():
            mine4 = self.coverage.get(k4)
            if mine4 is None:
                self.coverage[k4] = (list(b), s)
            else:
                self.coverage[k4] = (
                    [x + y for x, y in zip(mine4[0], b, strict=True)],
                    mine4[1] + s,
                )

    def to_dict(self) -> dict[str, list[list[object]]]:
        """A JSON-able form (kept with each recorded run)."""
        return {
            "durations": [[a, b, c, s] for (a, b), (c, s) in sorted(self.durations.items())],
            "executions": [[a, b, n] for (a, b), n in sorted(self.executions.items())],
            "failures": [[a, b, n] for (a, b), n in sorted(self.failures.items())],
            "coverage": [[t, c, s] for t, (c, s) in sorted(self.coverage.items())],
        }

    @classmethod
    def from_dict(cls, d: dict[str, list[list[object]]]) -> Aggregate:
        agg = cls()
        for a, b, c, s in d.get("durations", []):
            agg.durations[(str(a), str(b))] = ([int(x) for x in c], float(s))  # type: ignore[attr-defined, arg-type]
        for a, b, n in d.get("executions", []):
            agg.executions[(str(a), str(b))] = int(n)  # type: ignore[call-overload]
        for a, b, n in d.get("failures", []):
            agg.failures[(str(a), str(b))] = int(n)  # type: ignore[call-overload]
        for t, c, s in d.get("coverage", []):
            agg.coverage[str(t)] = ([int(x) for x in c], float(s))  # type: ignore[attr-defined, arg-type]
        return agg


def _bucket_index(value: float, bounds: tuple[float, ...]) -> int:
    for i, b in enumerate(bounds):
        if value <= b:
            return i
    return len(bounds)


def aggregate_run(run: Run) -> Aggregate:
    """One run's contribution to the cumulative metrics."""
    # a test's step is "stage/name"; the stage is its test_type (unit, integration, e2e...)
    stage_of = {f"{s.stage}/{s.name}": s.stage for s in run.steps}
    agg = Aggregate()
    nb = len(DURATION_BUCKETS) + 1
    # this runs once per recorded test (10,000 per run and more): the test type of each step
    # and the bucket counts of each key are looked up once per distinct value, and the bucket
    # by bisection (the first bound >= the duration; NaN, never <= a bound, goes to +Inf)
    types: dict[str, str] = {}
    sums: dict[tuple[str, str], list[Any]] = {}
    executions = agg.executions
    bounds = DURATION_BUCKETS
    for t in run.tests:
        step = t.step or ""
        ttype = types.get(step)
        if ttype is None:
            ttype = types[step] = (
                stage_of.get(step) or (step.split("/", 1)[0] if "/" in step else "") or "tests"
            )
        key = (ttype, t.suite or "")
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [[0] * nb, 0.0]
        d = t.duration_s
        acc[0][bisect_left(bounds, d) if d == d else nb - 1] += 1
        acc[1] += d
        status = t.status
        ek = (ttype, status)
        executions[ek] = executions.get(ek, 0) + 1
        if status == "failed" or status == "error":
            fk = (ttype, error_type(status, t.message))
            agg.failures[fk] = agg.failures.get(fk, 0) + 1
    for key, (buckets, total) in sums.items():
        agg.durations[key] = (buckets, total)
    nc = len(COVERAGE_BUCKETS) + 1
    for ctype, metric in (("lines", "coverage.line"), ("branches", "coverage.branch")):
        if metric in run.metrics:
            value = run.metrics[metric]
            b = [0] * nc
            b[_bucket_index(value, COVERAGE_BUCKETS)] += 1
            agg.coverage[ctype] = (b, value)
    return agg
