"""Properties of the pure parts: flip rates, the classification, the alert arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.history.alerts import evaluate, parse_expression
from testgate.history.flaky import FlakyParams, classify, ew_flip_rate, flip_count
from testgate.history.store import ResultsWindow, RunInfo

outcomes = st.lists(st.booleans(), min_size=0, max_size=60)


@given(outcomes, st.floats(0.05, 1.0))
def test_flip_rates_are_bounded_and_symmetric(fails: list[bool], alpha: float) -> None:
    assert 0 <= flip_count(fails) <= max(0, len(fails) - 1)
    assert flip_count(fails) == flip_count([not f for f in fails])
    assert 0.0 <= ew_flip_rate(fails, alpha) <= 1.0 + 1e-12


@settings(max_examples=60)
@given(outcomes)
def test_a_test_that_never_failed_is_neither_flaky_nor_broken(fails: list[bool]) -> None:
    t0 = datetime(2026, 1, 1)
    runs = [
        RunInfo(
            i + 1,
            f"r{i}",
            "",
            "main",
            f"c{i}",
            None,
            t0 + timedelta(minutes=i),
            None,
            None,
            "passed",
            None,
            False,
            100,
            0,
        )
        for i in range(len(fails) + 1)
    ]
    window = ResultsWindow(
        runs=runs,
        outcomes={
            "t::sometimes": [(i, 1 if f else 0, False, 1) for i, f in enumerate(fails)],
            "t::always": [(i, 0, False, 1) for i in range(len(fails))],
        },
    )
    report = classify(window, FlakyParams())
    assert "t::always" not in {v.test for v in report.flaky + report.broken}
    # one verdict at most per test, and only for a test that failed at least once
    names = [v.test for v in report.flaky + report.broken]
    assert len(names) == len(set(names))
    if not any(fails):
        assert names == []


small = st.integers(-50, 50)


@st.composite
def arithmetic(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return str(draw(small))
    op = draw(st.sampled_from(["+", "-", "*"]))
    return f"({draw(arithmetic(depth - 1))} {op} {draw(arithmetic(depth - 1))})"


@given(arithmetic())
def test_arithmetic_agrees_with_python(text: str) -> None:
    expected = eval(text)  # only digits, parentheses and + - * generated here
    assert evaluate(parse_expression(text), {}, None) == expected
