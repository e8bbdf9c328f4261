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
    """The first bucket whose upper bound holds *value* (``le`` in Prometheus' terms); the last
    (``+Inf``) for a value above every bound, and for NaN."""
    if value != value:  # NaN
        return len(bounds)
    return bisect_left(bounds, value)


def aggregate_run(run: Run) -> Aggregate:
    """One run's contribution to the cumulative metrics."""
    # a test's step is "stage/name"; the stage is its test_type (unit, integration, e2e...)
    stage_of = {f"{s.stage}/{s.name}": s.stage for s in run.steps}
    type_of: dict[str, str] = {}  # step -> test type, worked out once per step
    agg = Aggregate()
    nb = len(DURATION_BUCKETS) + 1
    buckets_of: dict[tuple[str, str], list[int]] = {}
    totals: dict[tuple[str, str], float] = {}
    executions = agg.executions
    for t in run.tests:
        step = t.step or ""
        ttype = type_of.get(step)
        if ttype is None:
            ttype = type_of[step] = (
                stage_of.get(step) or (step.split("/", 1)[0] if "/" in step else "") or "tests"
            )
        key = (ttype, t.suite or "")
        buckets = buckets_of.get(key)
        if buckets is None:
            buckets = buckets_of[key] = [0] * nb
            totals[key] = 0.0
        d = t.duration_s
        buckets[_bucket_index(d, DURATION_BUCKETS)] += 1
        totals[key] += d
        ek = (ttype, t.status)
        executions[ek] = executions.get(ek, 0) + 1
        if t.status in ("failed", "error"):
            fk = (ttype, error_type(t.status, t.message))
            agg.failures[fk] = agg.failures.get(fk, 0) + 1
    agg.durations = {key: (buckets, totals[key]) for key, buckets in buckets_of.items()}
    nc = len(COVERAGE_BUCKETS) + 1
    for ctype, metric in (("lines", "coverage.line"), ("branches", "coverage.branch")):
        if metric in run.metrics:
            value = run.metrics[metric]
            b = [0] * nc
            b[_bucket_index(value, COVERAGE_BUCKETS)] += 1
            agg.coverage[ctype] = (b, value)
    return agg
