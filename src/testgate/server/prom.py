"""Prometheus metrics with the seed's names, for ``/metrics`` and ``testgate push``.

The seed (``prom-client`` in the qtests guide) defines::

    test_execution_duration_seconds  histogram  labels test_type, test_suite
    test_executions_total            counter    labels test_type, status
    test_failures_total              counter    labels test_type, error_type
    test_coverage_percent            histogram  labels type (lines, branches)

``test_type`` is the pipeline stage that produced the test (``unit``, ``integration``...), or
``tests`` when a report was ingested outside a pipeline. Counters are cumulative over every
run recorded in the history store, so ``rate()`` works across scrapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from testgate.history.prom import (
    COVERAGE_BUCKETS,
    DURATION_BUCKETS,
    Aggregate,
    aggregate_run,
    error_type,
)

__all__ = [
    "COVERAGE_BUCKETS",
    "DURATION_BUCKETS",
    "Aggregate",
    "aggregate_run",
    "error_type",
    "metric_families",
]


def _cumulative(counts: Iterable[int]) -> list[int]:
    out, acc = [], 0
    for c in counts:
        acc += c
        out.append(acc)
    return out


def _hist_buckets(counts: list[int], bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    cum = _cumulative(counts)
    labels = [repr(float(b)) for b in bounds] + ["+Inf"]
    return [(lab, float(c)) for lab, c in zip(labels, cum, strict=True)]


def metric_families(agg: Aggregate) -> Iterator[Metric]:
    """The four metric families of the seed, from an aggregate."""
    h = HistogramMetricFamily(
        "test_execution_duration_seconds",
        "Test execution duration in seconds",
        labels=["test_type", "test_suite"],
    )
    for (ttype, suite), (counts, total) in sorted(agg.durations.items()):
        h.add_metric([ttype, suite], _hist_buckets(counts, DURATION_BUCKETS), total)
    yield h
    c = CounterMetricFamily(
        "test_executions", "Total number of test executions", labels=["test_type", "status"]
    )
    for (ttype, status), n in sorted(agg.executions.items()):
        c.add_metric([ttype, status], float(n))
    yield c
    f = CounterMetricFamily(
        "test_failures", "Total number of test failures", labels=["test_type", "error_type"]
    )
    for (ttype, etype), n in sorted(agg.failures.items()):
        f.add_metric([ttype, etype], float(n))
    yield f
    cov = HistogramMetricFamily(
        "test_coverage_percent", "Test coverage percentage", labels=["type"]
    )
    for ctype, (counts, total) in sorted(agg.coverage.items()):
        cov.add_metric([ctype], _hist_buckets(counts, COVERAGE_BUCKETS), total)
    yield cov
