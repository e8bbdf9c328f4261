"""Percentiles: JMeter's definition, exact accumulation, and the sketch's 1% error bound."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.adapters._perf import ScenarioNames, percentile_key, sanitize
from testgate.adapters._quantiles import (
    RELATIVE_ERROR,
    Budget,
    LogHistogram,
    QuantileAccumulator,
    nearest_rank,
    percentile_of_sorted,
)

latencies = st.lists(
    st.one_of(
        st.just(0.0),
        st.floats(min_value=1e-6, max_value=1e7, allow_nan=False, allow_infinity=False),
        st.integers(min_value=0, max_value=600_000).map(float),
    ),
    min_size=1,
    max_size=400,
)
fractions = st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0])


def test_jmeter_rank_by_hand() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile_of_sorted(values, 0.5) == 2.0  # round(2.0) = rank 2
    assert percentile_of_sorted(values, 0.625) == 3.0  # round(2.5) half up = rank 3
    assert percentile_of_sorted(values, 0.95) == 4.0
    assert percentile_of_sorted(values, 0.0) == 1.0  # rank at least 1
    assert percentile_of_sorted([7.0], 0.99) == 7.0
    assert nearest_rank(1000, 0.95) == 950
    assert nearest_rank(1000, 1.0) == 1000


@settings(deadline=None)  # a loaded CI machine must not fail a property
@given(latencies, fractions)
def test_sketch_is_within_its_relative_error_of_exact(values: list[float], p: float) -> None:
    sketch = LogHistogram()
    for v in values:
        sketch.add(v)
    exact = percentile_of_sorted(sorted(values), p)
    estimate = sketch.quantile(p)
    # float rounding at a bucket edge may add a few ulps to the mathematical bound
    assert abs(estimate - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)


@settings(deadline=None)  # a loaded CI machine must not fail a property
@given(latencies, fractions, st.integers(min_value=0, max_value=50))
def test_accumulator_is_exact_within_budget_and_bounded_beyond(
    values: list[float], p: float, limit: int
) -> None:
    acc = QuantileAccumulator(Budget(limit))
    for v in values:
        acc.add(v)
    exact = percentile_of_sorted(sorted(values), p)
    got = acc.quantile(p)
    assert got is not None
    if acc.exact:
        assert got == exact
    else:
        assert abs(got - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)
    assert acc.min == min(values)
    assert acc.max == max(values)
    assert acc.count == len(values)


@settings(max_examples=50, deadline=None)
@given(st.lists(latencies, min_size=2, max_size=5))
def test_a_shared_budget_bounds_every_accumulator(groups: list[list[float]]) -> None:
    budget = Budget(20)
    accs = [QuantileAccumulator(budget) for _ in groups]
    for acc, values in zip(accs, groups, strict=True):
        for v in values:
            acc.add(v)
    kept = sum(len(a._counts) for a in accs if a._counts is not None)
    assert kept <= 20
    for acc, values in zip(accs, groups, strict=True):
        exact = percentile_of_sorted(sorted(values), 0.95)
        got = acc.quantile(0.95)
        assert got is not None
        assert abs(got - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)


def test_empty_accumulator_has_no_percentile() -> None:
    assert QuantileAccumulator().quantile(0.5) is None
    assert math.isnan(LogHistogram().quantile(0.5))
    with pytest.raises(ValueError, match="alpha"):
        LogHistogram(alpha=0)


def test_scenario_names() -> None:
    assert sanitize("GET /api/users?page=2") == "get_api_users_page_2"
    assert sanitize("  ") == "unnamed"
    assert sanitize("Ünïcode-Läbel") == "n_code_l_bel"
    names = ScenarioNames()
    assert names("/a-b") == "a_b"
    assert names("/a_b") == "a_b_2"
    assert names("/a-b") == "a_b"
    assert names("all") == "all_2"  # "all" belongs to the report's global figures
    assert percentile_key("99.9") == "p99_9_ms"
    assert percentile_key("95%") == "p95_ms"
    assert percentile_key("50.0") == "p50_ms"


@settings(deadline=None)  # a loaded CI machine must not fail a property
@given(st.text(max_size=200))
def test_sanitised_names_are_metric_safe(name: str) -> None:
    token = sanitize(name)
    assert token
    assert len(token) <= 64
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")


@settings(deadline=None)  # a loaded CI machine must not fail a property
@given(st.lists(latencies, min_size=1, max_size=4), st.integers(0, 30), fractions)
def test_merged_accumulators_answer_for_all_samples(
    groups: list[list[float]], limit: int, p: float
) -> None:
    """A file's all-samples figure is the merge of its labels' accumulators."""
    budget = Budget(limit)
    parts = []
    for values in groups:
        acc = QuantileAccumulator(budget)
        for v in values:
            acc.add(v)
        parts.append(acc)
    merged = QuantileAccumulator.merged(parts)
    everything = sorted(v for values in groups for v in values)
    exact = percentile_of_sorted(everything, p)
    got = merged.quantile(p)
    assert got is not None
    assert merged.count == len(everything)
    assert merged.exact == all(a.exact for a in parts)
    if merged.exact:
        assert got == exact
    else:
        assert abs(got - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)
