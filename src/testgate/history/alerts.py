"""Alerts in the seed's form, evaluated after each recorded run.

.. code-block:: yaml

    alerts:
      - name: coverage_drop
        condition: "coverage < previous - 5%"
        severity: high

A condition compares two arithmetic expressions (``+ - * /``, parentheses, numbers) over
metric names: the dotted names of DESIGN.md (``coverage.line``, ``perf.api.p95_ms``) and the
seed's aliases (``coverage``, ``execution_time``, ``flaky_rate``, ``pass_rate``).
``previous`` is the condition's first metric in the previous run on the same branch;
``previous.NAME`` names another one. ``N%`` next to a percentage metric means percentage
points (``coverage < previous - 5%``: five points lower); next to any other quantity it is
relative (``execution_time > previous + 50%`` is ``previous * 1.5``).

The condition is testgate's one expression language (:mod:`testgate.config.expr`, the same
parser as ``when:`` and gate thresholds) in its metric dialect, evaluated over numbers: no
``eval``.
A condition over a metric the run does not have is not evaluated (and says which one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from testgate.config.expr import (
    Arith,
    ExpressionError,
    Lit,
    Name,
    Neg,
    Node,
    parse_metric_condition,
    parse_metric_expression,
)
from testgate.errors import ConfigError

__all__ = [
    "ALIASES",
    "SEVERITIES",
    "AlertFired",
    "AlertResult",
    "AlertRule",
    "Expr",
    "MissingMetric",
    "evaluate",
    "evaluate_alerts",
    "is_percentage",
    "parse_alerts",
    "parse_condition",
    "parse_expression",
]

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")

#: the seed's names -> DESIGN.md's; flaky_rate is the history's (tests that flipped on one
#: commit in the branch's window), not the run's retries (tests.retried)
ALIASES: dict[str, str] = {
    "coverage": "coverage.line",
    "execution_time": "pipeline.duration_s",
    "pass_rate": "tests.pass_rate",
    "flaky_rate": "history.flaky_rate",
}

_PERCENT_NAMES = {
    "tests.pass_rate",
    "duplication.percent",
    "docs.public_api",
    "mutation.score",
    "history.flaky_rate",
    "quarantine.percent",
}


def is_percentage(name: str) -> bool:
    """Whether metric *name* (or alias) is a percentage (0-100)."""
    name = ALIASES.get(name, name)
    return name in _PERCENT_NAMES or name.startswith("coverage.") or name.endswith(".error_rate")


class MissingMetric(Exception):
    """A metric the run (or the previous run) does not have."""

    def __init__(self, name: str, previous: bool) -> None:
        super().__init__(name)
        self.name = name
        self.previous = previous

    def __str__(self) -> str:
        where = "the previous run" if self.previous else "this run"
        return f"{self.name} is not measured in {where}"


# ---------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Expr:
    """A node: ``num`` (value, pct), ``metric`` (name, previous) or ``op`` (op, args)."""

    kind: str
    value: float = 0.0
    pct: bool = False
    name: str = ""
    previous: bool = False
    op: str = ""
    args: tuple[Expr, ...] = ()

    def metrics(self) -> list[tuple[str, bool]]:
        """(name, previous) of every metric it reads, in order."""
        if self.kind == "metric":
            return [(self.name, self.previous)]
        return [m for a in self.args for m in a.metrics()]


def _lower(node: Node, where: list[int]) -> Expr:
    """The shared syntax tree (:mod:`testgate.config.expr`) as an alert expression."""
    if isinstance(node, Lit):
        assert isinstance(node.value, float)
        return Expr("num", value=node.value, pct=node.unit == "%")
    if isinstance(node, Name):
        if node.name == "previous":
            where.append(node.col)
            return Expr("metric", name="", previous=True)
        if node.name.startswith("previous."):
            return Expr("metric", name=node.name[len("previous.") :], previous=True)
        return Expr("metric", name=node.name)
    if isinstance(node, Neg):
        return Expr("op", op="neg", args=(_lower(node.operand, where),))
    if isinstance(node, Arith):
        return Expr("op", op=node.op, args=(_lower(node.left, where), _lower(node.right, where)))
    raise AssertionError(f"not in the metric dialect: {node!r}")  # pragma: no cover


def _subject(node: Expr) -> str | None:
    """The first metric the expression names (what a bare ``previous`` refers to)."""
    for name, previous in node.metrics():
        if name and not previous:
            return name
    return None


def _fill_previous(node: Expr, subject: str) -> Expr:
    if node.kind == "metric" and node.previous and not node.name:
        return Expr("metric", name=subject, previous=True)
    if node.kind == "op":
        return Expr("op", op=node.op, args=tuple(_fill_previous(a, subject) for a in node.args))
    return node


def _resolve_previous(text: str, *sides: Expr, bare: list[int]) -> list[Expr]:
    if not bare:
        return list(sides)
    subject = next((s for s in map(_subject, sides) if s), None)
    if subject is None:
        raise ValueError(
            f"column {bare[0]}: 'previous' needs a metric to refer to, e.g. 'coverage < previous'"
        )
    return [_fill_previous(side, subject) for side in sides]


def parse_expression(text: str) -> Expr:
    """An arithmetic expression over metrics (``tests.failed / tests.total * 100``)."""
    try:
        tree = parse_metric_expression(text)
    except ExpressionError as exc:
        raise ValueError(exc.short) from None
    bare: list[int] = []
    (node,) = _resolve_previous(text, _lower(tree, bare), bare=bare)
    return node


def parse_condition(text: str) -> tuple[Expr, str, Expr]:
    """``LEFT OP RIGHT``; raises ValueError with the column of the problem."""
    try:
        tree = parse_metric_condition(text)
    except ExpressionError as exc:
        raise ValueError(exc.short) from None
    bare: list[int] = []
    left, right = _resolve_previous(
        text, _lower(tree.left, bare), _lower(tree.right, bare), bare=bare
    )
    for side, other in ((left, right), (right, left)):
        if side.kind == "num" and side.pct and not _percent_quantity(other):
            raise ValueError(
                f"'{side.value:g}%' is compared with a quantity that is not a percentage; "
                "write a plain number, or a relative change such as 'previous * 1.05'"
            )
    return left, tree.op, right


def _percent_quantity(node: Expr) -> bool:
    if node.kind == "metric":
        return is_percentage(node.name)
    if node.kind == "num":
        return node.pct
    return any(_percent_quantity(a) for a in node.args)


# ---------------------------------------------------------------------------- evaluation

Lookup = Callable[[str, bool], float]


def _metric(metrics: Mapping[str, float], name: str) -> float | None:
    return metrics.get(ALIASES.get(name, name))


def evaluate(
    node: Expr, current: Mapping[str, float], previous: Mapping[str, float] | None
) -> float:
    """The value of *node*; raises :class:`MissingMetric` for an absent metric."""
    if node.kind == "num":
        return node.value
    if node.kind == "metric":
        source = previous if node.previous else current
        value = None if source is None else _metric(source, node.name)
        if value is None:
            raise MissingMetric(node.name, node.previous)
        return value
    if node.op == "neg":
        return -evaluate(node.args[0], current, previous)
    a, b = node.args
    # N% beside a quantity that is not a percentage is relative to it
    if node.op in "+-" and b.kind == "num" and b.pct and not _percent_quantity(a):
        base = evaluate(a, current, previous)
        delta = base * b.value / 100.0
        return base + delta if node.op == "+" else base - delta
    if node.op in "*/":
        x = evaluate(a, current, previous) if not (a.kind == "num" and a.pct) else a.value / 100
        y = evaluate(b, current, previous) if not (b.kind == "num" and b.pct) else b.value / 100
        if node.op == "*":
            return x * y
        if y == 0:
            raise ZeroDivisionError("division by zero")
        return x / y
    x, y = evaluate(a, current, previous), evaluate(b, current, previous)
    return x + y if node.op == "+" else x - y


_CMP: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: abs(a - b) < 1e-9,
    "!=": lambda a, b: abs(a - b) >= 1e-9,
}


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    condition: str
    severity: str
    left: Expr
    op: str
    right: Expr
    message: str | None = None


@dataclass(slots=True)
class AlertResult:
    rule: AlertRule
    #: fired | ok | not-evaluated
    status: str
    left: float | None = None
    right: float | None = None
    values: dict[str, float] = field(default_factory=dict)
    reason: str | None = None


@dataclass(slots=True)
class AlertFired:
    """An alert whose condition held after a run was recorded."""

    name: str
    severity: str
    condition: str
    #: the condition (or the rule's message) and the numbers behind it, without the name
    message: str
    values: dict[str, float] = field(default_factory=dict)
    run: str | None = None
    #: what each webhook said (filled in by notify)
    deliveries: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "severity": self.severity,
            "condition": self.condition,
            "message": self.message,
            "values": self.values,
            "run": self.run,
            "deliveries": [d.to_dict() for d in self.deliveries],
        }


_RULE_KEYS = ("name", "condition", "severity", "message")


def parse_alerts(items: list[Any], *, source: str = "testgate.yaml") -> list[AlertRule]:
    """Validate the ``alerts:`` list; every problem is reported at once."""
    rules: list[AlertRule] = []
    problems: list[str] = []
    for i, item in enumerate(items):
        where = f"{source}: alerts[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with name, condition and severity")
            continue
        unknown = sorted(set(item) - set(_RULE_KEYS))
        if unknown:
            problems.append(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(_RULE_KEYS)}"
            )
        name = item.get("name")
        cond = item.get("condition")
        sev = str(item.get("severity", "medium")).lower()
        if not isinstance(name, str) or not name:
            problems.append(f"{where}.name: expected a name such as coverage_drop")
        if sev not in SEVERITIES:
            problems.append(
                f"{where}.severity: {item.get('severity')!r} is not one of {', '.join(SEVERITIES)}"
            )
        if not isinstance(cond, str) or not cond.strip():
            problems.append(
                f"{where}.condition: expected a condition such as 'coverage < previous - 5%'"
            )
            continue
        try:
            left, op, right = parse_condition(cond)
        except ValueError as exc:
            problems.append(f"{where}.condition: {cond!r}: {exc}")
            continue
        if isinstance(name, str) and name and sev in SEVERITIES:
            msg = item.get("message")
            rules.append(AlertRule(name, cond, sev, left, op, right, str(msg) if msg else None))
    if problems:
        raise ConfigError(problems[0], problems=problems, slug="config-invalid")
    return rules


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) < 1e12 else f"{v:.3g}"


def evaluate_alerts(
    rules: list[AlertRule], current: Mapping[str, float], previous: Mapping[str, float] | None
) -> list[AlertResult]:
    """Evaluate every rule over the run's metrics and the previous run's (pure)."""
    out: list[AlertResult] = []
    for rule in rules:
        values: dict[str, float] = {}
        try:
            for name, prev in (*rule.left.metrics(), *rule.right.metrics()):
                source = previous if prev else current
                v = None if source is None else _metric(source, name)
                if v is None:
                    raise MissingMetric(name, prev)
                values[("previous." if prev else "") + name] = v
            left = evaluate(rule.left, current, previous)
            right = evaluate(rule.right, current, previous)
        except MissingMetric as exc:
            out.append(AlertResult(rule, "not-evaluated", values=values, reason=str(exc)))
            continue
        except ZeroDivisionError:
            out.append(AlertResult(rule, "not-evaluated", values=values, reason="division by zero"))
            continue
        status = "fired" if _CMP[rule.op](left, right) else "ok"
        out.append(AlertResult(rule, status, left, right, values))
    return out


def explain(result: AlertResult) -> str:
    """The condition (or the rule's own message) and the numbers behind it, without the name."""
    rule = result.rule
    head = rule.message or rule.condition
    if result.status == "not-evaluated":
        return f"{head} (not evaluated: {result.reason})"
    parts = []
    for k, v in result.values.items():
        base = k.removeprefix("previous.")
        alias = f" ({ALIASES[base]})" if base in ALIASES else ""
        parts.append(f"{'previous ' if k.startswith('previous.') else ''}{base}{alias} = {_fmt(v)}")
    numbers = f"{_fmt(result.left or 0.0)} {rule.op} {_fmt(result.right or 0.0)}"
    verdict = "holds" if result.status == "fired" else "does not hold"
    return f"{head}: {', '.join(parts)}; {numbers} {verdict}"


def alert_line(name: str, severity: str, message: str) -> str:
    """The one line an alert is printed as, by ``run`` and ``history record`` alike:
    ``alert [high] coverage_drop: coverage < previous - 5%: ...; 70 < 75 holds``."""
    return f"alert [{severity}] {name}: {message}"


def describe(result: AlertResult) -> str:
    """The alert's line (:func:`alert_line`): name, severity, condition and the numbers."""
    return alert_line(result.rule.name, result.rule.severity, explain(result))


__all__ += ["alert_line", "describe", "explain"]
