"""Recording writes exactly the rows it is given: multi-row inserts cut at every size, on
SQLite and PostgreSQL, and the Prometheus aggregate's buckets."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from testgate.history import open_store
from testgate.history import schema as S
from testgate.history.prom import DURATION_BUCKETS, aggregate_run
from testgate.model import Coverage, FileCoverage, Run, StepResult, TestCase, VcsInfo

from ._runs import case, make_run, tid


def _cases(n: int) -> list[TestCase]:
    """*n* distinct tests, every status, odd attempts, triage fields and messages."""
    statuses = ["passed", "failed", "error", "skipped"]
    out = []
    for k in range(n):
        status = statuses[k % 4]
        tc = case(f"test_{k:04d}", status, duration=k / 1000, attempts=1 + k % 3)
        if status != "passed":
            tc.message = f"  ValueError: case {k}\n  second line"
            tc.category = "assertion" if k % 2 else None
            tc.fingerprint = f"fp{k % 7}" if k % 3 else None
        out.append(tc)
    return out


def _expected(cases: list[TestCase]) -> list[tuple[Any, ...]]:
    rows = []
    for tc in cases:
        bad = tc.status in ("failed", "error")
        rows.append(
            (
                tc.id,
                S.STATUS_CODES[tc.status],
                tc.duration_s,
                tc.attempts,
                bool(tc.flaky or (tc.attempts > 1 and tc.status == "passed")),
                f"ValueError: case {tc.name[5:].lstrip('0') or '0'}" if bad else None,
                tc.category if bad else None,
                tc.fingerprint if bad else None,
            )
        )
    return rows


def _stored(url: str) -> list[tuple[Any, ...]]:
    with open_store(url) as store, store.engine.connect() as conn:
        r, t = S.results, S.tests
        q = (
            select(
                t.c.test_id,
                r.c.status,
                r.c.duration_s,
                r.c.attempts,
                r.c.flaky,
                r.c.message,
                r.c.category,
                r.c.fingerprint,
            )
            .join(t, t.c.id == r.c.test)
            .order_by(r.c.id)
        )
        return [tuple(row) for row in conn.execute(q)]


# 99 results fill one multi-row INSERT on SQLite (10 columns, 999 parameters): below, at,
# just past and well past the cut, and the empty run
@pytest.mark.parametrize("n", [0, 1, 98, 99, 100, 250])
def test_every_result_is_stored_as_given_in_run_order(store_url: str, n: int) -> None:
    cases = _cases(n)
    with open_store(store_url) as store:
        store.record(make_run(0, cases))
        info = store.runs()[0]
        assert info.tests_total == n
    assert _stored(store_url) == _expected(cases)


def test_a_second_run_reuses_the_test_ids_and_adds_only_new_ones(store_url: str) -> None:
    first, second = _cases(150), _cases(300)
    with open_store(store_url) as store:
        store.record(make_run(0, first))
        store.record(make_run(1, second))
        with store.engine.connect() as conn:
            ids = conn.execute(select(S.tests.c.test_id, S.tests.c.id)).all()
    assert len(ids) == 300
    assert len({i for _, i in ids}) == 300
    assert _stored(store_url) == _expected(first) + _expected(second)


def test_duplicates_of_one_test_are_merged_before_the_insert(store_url: str) -> None:
    cases = [*_cases(120), case("test_0003", "passed"), case("test_0005", "failed")]
    with open_store(store_url) as store:
        store.record(make_run(0, cases))
    stored = {row[0]: row for row in _stored(store_url)}
    assert len(stored) == 120
    assert stored[tid("test_0003")][1:5] == (S.STATUS_CODES["passed"], 0.003 + 0.01, 2, True)
    assert stored[tid("test_0005")][1] == S.STATUS_CODES["failed"]


def test_many_metrics_steps_and_coverage_files_read_back(store_url: str) -> None:
    # 3 columns: 333 metrics per INSERT; 8 columns: 124 steps; 6 columns: 166 files
    metrics = {f"perf.s{k}.p95_ms": k * 1.5 for k in range(700)}
    steps = [StepResult("test", f"s{k}", "passed", exit_code=0, duration_s=k) for k in range(130)]
    cov = Coverage(files={f"src/m{k}.py": FileCoverage(f"src/m{k}.py") for k in range(170)})
    run = Run(
        id="many",
        started_at="2026-01-01T00:00:00Z",
        vcs=VcsInfo(commit="c" * 40, branch="main"),
        tests=_cases(3),
        steps=steps,
        coverage=cov,
        metrics=metrics,
    )
    with open_store(store_url) as store:
        store.record(run)
        store.set_metrics("many", {f"extra.{k}": float(k) for k in range(400)})
        info = store.get_run("many")
        assert info is not None
        assert info.metrics == {**metrics, **{f"extra.{k}": float(k) for k in range(400)}}
        base = store.last_run("main")
        assert base is not None
        assert [s.name for s in base.steps] == [f"s{k}" for k in range(130)]
        assert len(store.run_coverage(info)) == 170


def _bucket(value: float) -> int:
    """The definition: the first bound the value does not exceed, else +Inf."""
    for i, bound in enumerate(DURATION_BUCKETS):
        if value <= bound:
            return i
    return len(DURATION_BUCKETS)


@given(
    st.lists(
        st.one_of(
            st.floats(min_value=0.0, allow_infinity=True),
            st.just(math.nan),
            st.sampled_from(DURATION_BUCKETS),
        ),
        max_size=40,
    )
)
def test_the_aggregate_buckets_each_duration_by_its_first_bound(durations: list[float]) -> None:
    run = Run(id="r", tests=[case(f"t{k}", duration=d) for k, d in enumerate(durations)])
    agg = aggregate_run(run)
    expected = [0] * (len(DURATION_BUCKETS) + 1)
    for d in durations:
        expected[_bucket(d)] += 1
    if not durations:
        assert agg.durations == {}
        return
    (buckets, total) = agg.durations[("tests", "unit")]
    assert buckets == expected
    want = 0.0
    for d in durations:  # summed in run order, as the aggregate does
        want += d
    assert total == want or (math.isnan(total) and math.isnan(want))
