"""The balancer: every item once, no empty shard, never worse than LPT or pytest-split."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.shard.balance import balance, estimate, group_keys, imbalance, lower_bound
from testgate.shard.plan import make_plan

weights_st = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=6),
    st.floats(0, 1000, allow_nan=False, allow_infinity=False),
    max_size=60,
)


def _loads(weights: dict[str, float], bins: list[list[str]]) -> list[float]:
    return [sum(weights[t] for t in b) for b in bins]


@settings(max_examples=200, deadline=None)
@given(weights_st, st.integers(1, 9))
def test_every_item_once_and_no_empty_shard(weights: dict[str, float], shards: int) -> None:
    bins = balance(weights, shards)
    assert len(bins) == shards
    flat = [t for b in bins for t in b]
    assert sorted(flat) == sorted(weights)
    if len(weights) >= shards:
        assert all(bins), "a shard is empty while another has two items"


@settings(max_examples=200, deadline=None)
@given(weights_st, st.integers(1, 9))
def test_never_worse_than_lpt(weights: dict[str, float], shards: int) -> None:
    improved = max(_loads(weights, balance(weights, shards)), default=0)
    lpt = max(_loads(weights, balance(weights, shards, improve=False)), default=0)
    assert improved <= lpt + 1e-9
    assert improved >= lower_bound(weights.values(), shards) - 1e-9


def test_the_same_input_gives_the_same_plan() -> None:
    rng = random.Random(3)
    weights = {f"t{i}": round(rng.expovariate(1.0), 2) for i in range(500)}
    shuffled = dict(sorted(weights.items(), key=lambda kv: rng.random()))
    assert balance(weights, 7) == balance(shuffled, 7)


def test_local_search_reaches_the_lower_bound_where_lpt_does_not() -> None:
    # the textbook case where LPT is 7/6 of the optimum: 3,3,2,2,2 on two machines
    weights = {"a": 3, "b": 3, "c": 2, "d": 2, "e": 2}
    lpt = max(_loads(weights, balance(weights, 2, improve=False)))
    best = max(_loads(weights, balance(weights, 2)))
    assert (lpt, best) == (7, 6)


def test_as_balanced_as_pytest_splits_least_duration() -> None:
    algorithms = pytest.importorskip("pytest_split.algorithms")
    rng = random.Random(11)
    weights = {f"tests/test_{i % 40}.py::test_{i}": rng.paretovariate(1.3) for i in range(2000)}
    items = [SimpleNamespace(nodeid=k) for k in weights]
    for shards in (2, 8, 32):
        groups = algorithms.Algorithms.least_duration.value(shards, items, weights)
        theirs = max(g.duration for g in groups)
        ours = max(_loads(weights, balance(weights, shards)))
        assert ours <= theirs + 1e-9
        assert ours <= 1.001 * lower_bound(weights.values(), shards)


def test_unknown_tests_get_their_files_median_else_the_suites() -> None:
    known = {
        "tests/test_a.py::test_1": 1.0,
        "tests/test_a.py::test_2": 3.0,
        "tests/test_b.py::test_1": 10.0,
        "pkg.test_c.TestK::test_1": 8.0,
    }
    got = estimate(
        known,
        [
            "tests/test_a.py::test_new",
            "tests/test_z.py::test_new",
            "pkg.test_c.TestK::test_new",
            "pkg.test_c::test_other",
        ],
    )
    assert got == {
        "tests/test_a.py::test_new": 2.0,
        "tests/test_z.py::test_new": 5.5,  # the suite's median
        "pkg.test_c.TestK::test_new": 8.0,
        "pkg.test_c::test_other": 8.0,  # the module's median
    }
    assert estimate({}, ["x::y"]) == {"x::y": 1.0}


def test_group_keys() -> None:
    assert group_keys("tests/test_a.py::TestX::test_y[1]") == ["tests/test_a.py"]
    assert group_keys("a.b.C::t") == ["a.b.C", "a.b", "a"]
    assert group_keys("lonely") == []


def test_plan_by_file_keeps_a_files_tests_together() -> None:
    durations = {
        "tests/test_a.py::t1": 5.0,
        "tests/test_a.py::t2": 5.0,
        "tests/test_b.py::t1": 6.0,
        "tests/test_c.py::t1": 4.0,
    }
    plan = make_plan(durations, 2, by="file")
    assert sorted(f for s in plan.shards for f in s.tests) == [
        "tests/test_a.py",
        "tests/test_b.py",
        "tests/test_c.py",
    ]
    assert [s.expected_s for s in plan.shards] == [10.0, 10.0]
    assert plan.imbalance == 1.0
    assert imbalance([]) == 1.0
