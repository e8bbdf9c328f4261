"""The threshold language: parsing, printing, checking, units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testgate.errors import GateError
from testgate.gates.threshold import Threshold, metric_unit
from tests.strategies import percentages, threshold_texts, thresholds


@pytest.mark.parametrize(
    ("text", "op", "value", "unit", "stat"),
    [
        (">= 80%", ">=", 80.0, "%", None),
        ("< 5", "<", 5.0, None, None),
        ("== 0", "==", 0.0, None, None),
        (0, "<=", 0.0, None, None),
        ("100% pass", ">=", 100.0, "%", None),
        ("100%", ">=", 100.0, "%", None),
        ("p95 < 200ms", "<", 200.0, "ms", "p95"),
        ("rate < 0.1%", "<", 0.1, "%", "rate"),
        ("> 99.9%", ">", 99.9, "%", None),
        ("< 60s", "<", 60.0, "s", None),
        (">= 10000", ">=", 10000.0, None, None),
        (">= 10000rps", ">=", 10000.0, "rps", None),
        ("no findings", "==", 0.0, None, None),
        ("≤ 3", "<=", 3.0, None, None),
        ("= 1", "==", 1.0, None, None),
    ],
)
def test_parse_examples(
    text: object, op: str, value: float, unit: str | None, stat: str | None
) -> None:
    th = Threshold.parse(text)
    assert (th.op, th.value, th.unit, th.stat) == (op, value, unit, stat)


@pytest.mark.parametrize("text", ["", "about 5", ">> 3", "5 apples", "verified", True, None, [1]])
def test_unreadable_thresholds_are_gate_errors_that_show_the_grammar(text: object) -> None:
    with pytest.raises(GateError, match="threshold"):
        Threshold.parse(text)


def test_bare_number_takes_the_criterion_default() -> None:
    assert Threshold.parse(5).op == "<="
    assert Threshold.parse("90", default_op=">=").op == ">="


@given(thresholds())
def test_every_threshold_prints_and_parses_back_to_the_same_meaning(th: Threshold) -> None:
    assert Threshold.parse(str(th)) == th


@given(threshold_texts())
def test_text_as_people_write_it_parses_and_round_trips(text: str) -> None:
    th = Threshold.parse(text)
    assert Threshold.parse(str(th)) == th


@given(
    percentages, percentages, st.floats(min_value=0.0, max_value=50.0), st.sampled_from([">=", ">"])
)
def test_raising_a_minimum_never_turns_a_fail_into_a_pass(
    value: float, minimum: float, raise_by: float, op: str
) -> None:
    low = Threshold(op, minimum, "%")  # type: ignore[arg-type]
    high = Threshold(op, minimum + raise_by, "%")  # type: ignore[arg-type]
    if not low.check(value):
        assert not high.check(value)


@given(
    percentages, percentages, st.floats(min_value=0.0, max_value=50.0), st.sampled_from(["<=", "<"])
)
def test_lowering_a_maximum_never_turns_a_fail_into_a_pass(
    value: float, maximum: float, lower_by: float, op: str
) -> None:
    high = Threshold(op, maximum)  # type: ignore[arg-type]
    low = Threshold(op, maximum - lower_by)  # type: ignore[arg-type]
    if not high.check(value):
        assert not low.check(value)


@given(st.floats(min_value=0.0, max_value=100.0, exclude_max=True))
def test_a_100_percent_gate_is_never_passed_below_100(value: float) -> None:
    for text in ("100%", "100% pass", ">= 100%", "== 100%"):
        assert not Threshold.parse(text).check(value)


def test_99_999_does_not_pass_100_percent() -> None:
    assert not Threshold.parse("100% pass").check(99.999)
    assert not Threshold.parse("100% pass").check(99.99999999)
    assert Threshold.parse("100% pass").check(100.0)


def test_units_convert_to_the_metrics_unit() -> None:
    assert Threshold.parse("< 0.2s").for_metric("perf.api.p95_ms").value == 200.0
    assert Threshold.parse("< 1500ms").for_metric("tests.duration_s").value == 1.5
    assert Threshold.parse("< 2m").for_metric("pipeline.duration_s").value == 120.0
    bound = Threshold.parse("p95 < 200ms").for_metric("perf.api.p95_ms")
    assert bound.check(199.9)
    assert not bound.check(200.0)


@pytest.mark.parametrize(
    ("text", "metric"),
    [
        ("< 5%", "perf.api.p95_ms"),
        ("< 200ms", "coverage.line"),
        ("< 5ms", "security.high"),
        (">= 100rps", "tests.failed"),
    ],
)
def test_a_unit_that_cannot_apply_names_the_place(text: str, metric: str) -> None:
    with pytest.raises(GateError, match=r"gates\.g\.criteria\.c: threshold .* metric"):
        Threshold.parse(text).for_metric(metric, where="gates.g.criteria.c")


def test_metric_units_follow_design_names() -> None:
    assert metric_unit("perf.api.p95_ms") == "ms"
    assert metric_unit("tests.duration_s") == "s"
    assert metric_unit("coverage.component.web") == "%"
    assert metric_unit("tests.pass_rate") == "%"
    assert metric_unit("perf.all.rps") == "rps"
    assert metric_unit("security.critical") is None
