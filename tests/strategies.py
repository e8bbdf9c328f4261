"""Hypothesis strategies shared by testgate's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from testgate.gates.threshold import OPERATORS, Threshold

__all__ = ["percentages", "threshold_texts", "thresholds"]

#: values a percentage metric can take
percentages = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)

_values = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(float),
    st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False),
)


@st.composite
def thresholds(draw: st.DrawFn) -> Threshold:
    """Any threshold the language can express."""
    op = draw(st.sampled_from(OPERATORS))
    unit = draw(st.sampled_from([None, "ms", "s", "m", "%", "rps"]))
    value = draw(percentages if unit == "%" else _values)
    stat = draw(st.sampled_from([None, None, "p50", "p95", "p99", "avg", "rate"]))
    return Threshold(op, value, unit, stat)  # type: ignore[arg-type]


@st.composite
def threshold_texts(draw: st.DrawFn) -> str:
    """Threshold text as people write it: spacing, units, '% pass' and bare numbers."""
    op = draw(st.sampled_from(["", ">=", "<=", ">", "<", "==", "="]))
    space = draw(st.sampled_from(["", " ", "  "]))
    number = draw(st.sampled_from(["0", "5", "80", "99.9", "100", "0.1", "10000", "1.5e3"]))
    unit = draw(st.sampled_from(["", "%", "ms", "s", "m", "rps"]))
    tail = " pass" if unit == "%" and draw(st.booleans()) else ""
    return f"{op}{space}{number}{unit}{tail}"
