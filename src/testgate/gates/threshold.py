"""The threshold language: ``>= 80%``, ``< 5``, ``== 0``, ``"100% pass"``, ``p95 < 200ms``.

A threshold is a comparison in testgate's one expression language (:mod:`testgate.config.expr`,
the parser of ``when:`` and alert conditions too) whose left side is the criterion's metric.

A threshold is an operator, a number and an optional unit, and optionally a statistic prefix
(``p95``, ``rate``) that the shorthand uses to pick a metric. Units are checked against the
metric's own unit (DESIGN.md: names ending ``_ms`` are milliseconds, ``_s`` seconds, percentages
are 0-100) and converted, so ``< 0.2s`` on ``perf.api.p95_ms`` means ``< 200``.

Comparisons are exact: no rounding, so ``99.999`` never passes a ``100%`` gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from testgate.config.expr import STATS, UNITS, ExpressionError, parse_threshold
from testgate.errors import GateError

__all__ = [
    "OPERATORS",
    "STATS",
    "UNITS",
    "Threshold",
    "format_number",
    "metric_unit",
]

Op = Literal[">=", "<=", ">", "<", "=="]
OPERATORS: tuple[str, ...] = (">=", "<=", "==", ">", "<")
_TIME_TO_MS = {"ms": 1.0, "s": 1000.0, "m": 60000.0}
_ZERO_WORDS = frozenset({"no findings", "none", "no issues", "zero", "no vulnerabilities"})

# Percentage metrics by name; everything else is a count unless its name says a unit.
_PERCENT_SUFFIXES = (
    ".pass_rate",
    ".error_rate",
    ".flaky_rate",
    ".score",
    ".percent",
    ".public_api",
)


def metric_unit(metric: str) -> str | None:
    """The unit of a DESIGN.md metric: ``ms``, ``s``, ``%``, ``rps`` or None (a count)."""
    if metric.endswith("_ms"):
        return "ms"
    if metric.endswith("_s"):
        return "s"
    if metric.endswith(".rps"):
        return "rps"
    if metric.startswith("coverage.") or metric.endswith(_PERCENT_SUFFIXES):
        return "%"
    return None


def format_number(value: float) -> str:
    """A number printed so that parsing it back gives the same float (``80``, ``0.1``)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


@dataclass(frozen=True, slots=True)
class Threshold:
    """``<stat> <op> <value><unit>``; :meth:`check` tells whether a value satisfies it."""

    op: Op
    value: float
    unit: str | None = None
    stat: str | None = None

    @classmethod
    def parse(cls, text: object, *, default_op: Op | None = None) -> Threshold:
        """Read a threshold from YAML: a string, a number or a boolean-free scalar.

        A bare value without an operator takes *default_op*; without one a percentage means a
        minimum (``"100%"`` is ``>= 100%``) and a plain number a maximum (``critical: 0`` is
        ``<= 0``). ``"no findings"`` means ``== 0``.
        """
        if isinstance(text, bool) or text is None:
            raise GateError(f"expected a threshold such as '>= 80%' or '< 5', got {text!r}")
        if isinstance(text, (int, float)):
            if not math.isfinite(text):
                raise GateError(f"a threshold must be a finite number, got {text!r}")
            return cls(default_op or "<=", float(text))
        if not isinstance(text, str):
            raise GateError(
                f"expected a threshold such as '>= 80%' or '< 5', got {text!r} "
                f"({type(text).__name__})"
            )
        if text.strip().lower() in _ZERO_WORDS:
            return cls("==", 0.0)
        try:
            parts = parse_threshold(text)
        except ExpressionError as exc:
            raise GateError(
                f"cannot read threshold {text!r} ({exc.short}): expected [stat] OPERATOR "
                "NUMBER[unit], e.g. '>= 80%', '< 5', '== 0', 'p95 < 200ms', '100% pass', "
                f"'no findings' (operators {', '.join(OPERATORS)}; units {', '.join(UNITS)})"
            ) from None
        if not math.isfinite(parts.value):
            raise GateError(f"a threshold must be a finite number, got {text!r}")
        op: str
        if parts.op:
            op = parts.op
        elif parts.tail or parts.unit == "%":
            op = ">="  # "100% pass", "100%": a minimum
        else:
            op = default_op or "<="
        return cls(op, parts.value, parts.unit, parts.stat)  # type: ignore[arg-type]

    def __str__(self) -> str:
        prefix = f"{self.stat} " if self.stat else ""
        return f"{prefix}{self.op} {format_number(self.value)}{self.unit or ''}"

    @property
    def is_minimum(self) -> bool:
        return self.op in (">=", ">")

    @property
    def is_maximum(self) -> bool:
        return self.op in ("<=", "<")

    def check(self, value: float) -> bool:
        """Whether *value* (in this threshold's unit) satisfies it. Exact, never rounded."""
        t = self.value
        if self.op == ">=":
            return value >= t
        if self.op == ">":
            return value > t
        if self.op == "<=":
            return value <= t
        if self.op == "<":
            return value < t
        return value == t

    def margin(self, value: float) -> float:
        """How far *value* is on the wrong side (>0) or right side (<0) of the bound."""
        if self.op == "==":
            return abs(value - self.value)
        return self.value - value if self.is_minimum else value - self.value

    def for_metric(self, metric: str, *, where: str = "") -> Threshold:
        """This threshold converted to *metric*'s unit; a unit that cannot apply is a GateError.

        The result carries the metric's unit (None for counts) so :meth:`check` compares like
        with like.
        """
        target = metric_unit(metric)
        unit = self.unit
        if unit is None or unit == target:
            return replace(self, unit=target) if unit is None and target else self
        place = f"{where}: " if where else ""
        if unit in _TIME_TO_MS and target in ("ms", "s"):
            ms = self.value * _TIME_TO_MS[unit]
            value = ms if target == "ms" else ms / 1000.0
            return replace(self, value=value, unit=target)
        what = {"ms": "milliseconds", "s": "seconds", "%": "a percentage", "rps": "a rate"}
        has = what.get(target or "", "a count")
        raise GateError(
            f"{place}threshold '{self}' is in {unit} but metric {metric} is {has}; "
            f"write the threshold in {target or 'plain numbers'}"
            if target
            else f"{place}threshold '{self}' is in {unit} but metric {metric} is {has}; "
            "write a plain number"
        )
