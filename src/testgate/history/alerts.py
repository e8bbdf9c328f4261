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

The grammar is parsed by hand into a tiny tree and evaluated over numbers: no ``eval``.
A condition over a metric the run does not have is not evaluated (and says which one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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

#: the seed's names -> DESIGN.md's (flaky_rate is computed: tests.flaky / tests.total * 100)
ALIASES: dict[str, str] = {
    "coverage": "coverage.line",
    "execution_time": "pipeline.duration_s",
    "pass_rate": "tests.pass_rate",
    "flaky_rate": "tests.flaky / tests.total * 100",
}

_PERCENT_NAMES = {
    "tests.pass_rate",
    "duplication.percent",
    "docs.public_api",
    "mutation.score",
    "flaky_rate",
}


def is_percentage(name: str) -> bool:
    """Whether metric *name* (or alias) is a percentage (0-100)."""
    name = ALIASES.get(name, name) if name != "flaky_rate" else name
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


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?|\.\d+)(?P<pct>\s*%)?"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_<>\-]+)*)"
    r"|(?P<op><=|>=|==|!=|<|>|[-+*/()]))"
)
_COMPARE = ("<", "<=", ">", ">=", "==", "!=")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"unexpected {text[pos:].strip()[:10]!r} at column {pos + 1}")
            col = m.start() + (len(m.group(0)) - len(m.group(0).lstrip())) + 1
            if m.group("num") is not None:
                self.toks.append(("num" + ("%" if m.group("pct") else ""), m.group("num"), col))
            elif m.group("name") is not None:
                self.toks.append(("name", m.group("name"), col))
            else:
                self.toks.append(("op", m.group("op"), col))
            pos = m.end()
        self.i = 0
        self.subject: str | None = None
        self.bare_previous: list[int] = []

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise ValueError("the expression ends too early")
        self.i += 1
        return tok

    def expr(self) -> Expr:
        node = self.term()
        while (t := self.peek()) and t[0] == "op" and t[1] in "+-":
            self.take()
            node = Expr("op", op=t[1], args=(node, self.term()))
        return node

    def term(self) -> Expr:
        node = self.unary()
        while (t := self.peek()) and t[0] == "op" and t[1] in "*/":
            self.take()
            node = Expr("op", op=t[1], args=(node, self.unary()))
        return node

    def unary(self) -> Expr:
        t = self.take()
        if t[0] == "op" and t[1] == "-":
            return Expr("op", op="neg", args=(self.unary(),))
        if t[0] == "op" and t[1] == "(":
            node = self.expr()
            close = self.take()
            if close[1] != ")":
                raise ValueError(f"expected ')' at column {close[2]}")
            return node
        if t[0].startswith("num"):
            return Expr("num", value=float(t[1]), pct=t[0] == "num%")
        if t[0] == "name":
            name = t[1]
            if name == "previous":
                self.bare_previous.append(t[2])
                return Expr("metric", name="", previous=True)
            if name.startswith("previous."):
                return Expr("metric", name=name[len("previous.") :], previous=True)
            if self.subject is None:
                self.subject = name
            return Expr("metric", name=name)
        raise ValueError(f"unexpected {t[1]!r} at column {t[2]}")


def _fill_previous(node: Expr, subject: str) -> Expr:
    if node.kind == "metric" and node.previous and not node.name:
        return Expr("metric", name=subject, previous=True)
    if node.kind == "op":
        return Expr("op", op=node.op, args=tuple(_fill_previous(a, subject) for a in node.args))
    return node


def _parse(text: str, *, compare: bool) -> tuple[Expr, str | None, Expr | None]:
    p = _Parser(text)
    if not p.toks:
        raise ValueError("the expression is empty")
    left = p.expr()
    op: str | None = None
    right: Expr | None = None
    if compare:
        t = p.peek()
        if t is None or t[0] != "op" or t[1] not in _COMPARE:
            raise ValueError("expected a comparison such as 'coverage < previous - 5%'")
        p.take()
        op = t[1]
        right = p.expr()
    if p.peek() is not None:
        t = p.take()
        raise ValueError(f"unexpected {t[1]!r} at column {t[2]}")
    if p.bare_previous:
        if p.subject is None:
            raise ValueError("'previous' needs a metric to refer to, e.g. 'coverage < previous'")
        left = _fill_previous(left, p.subject)
        right = None if right is None else _fill_previous(right, p.subject)
    return left, op, right


def parse_expression(text: str) -> Expr:
    """An arithmetic expression over metrics (``tests.failed / tests.total * 100``)."""
    return _parse(text, compare=False)[0]


def parse_condition(text: str) -> tuple[Expr, str, Expr]:
    """``LEFT OP RIGHT``; raises ValueError with the column of the problem."""
    left, op, right = _parse(text, compare=True)
    assert op is not None
    assert right is not None
    for side, other in ((left, right), (right, left)):
        if side.kind == "num" and side.pct and not _percent_quantity(other):
            raise ValueError(
                f"'{side.value:g}%' is compared with a quantity that is not a percentage; "
                "write a plain number, or a relative change such as 'previous * 1.05'"
            )
    return left, op, right


def _percent_quantity(node: Expr) -> bool:
    if node.kind == "metric":
        return is_percentage(node.name)
    if node.kind == "num":
        return node.pct
    return any(_percent_quantity(a) for a in node.args)


# ---------------------------------------------------------------------------- evaluation

Lookup = Callable[[str, bool], float]


def _metric(metrics: Mapping[str, float], name: str) -> float | None:
    if name in ALIASES:
        if name == "flaky_rate":
            flaky, total = metrics.get("tests.flaky"), metrics.get("tests.total")
            if flaky is None or total is None:
                return None
            return 100.0 * flaky / total if total else 0.0
        name = ALIASES[name]
    return metrics.get(name)


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
        alias = f" ({ALIASES[base]})" if base in ALIASES and base != "flaky_rate" else ""
        parts.append(f"{'previous ' if k.startswith('previous.') else ''}{base}{alias} = {_fmt(v)}")
    numbers = f"{_fmt(result.left or 0.0)} {rule.op} {_fmt(result.right or 0.0)}"
    verdict = "holds" if result.status == "fired" else "does not hold"
    return f"{head}: {', '.join(parts)}; {numbers} {verdict}"


def describe(result: AlertResult) -> str:
    """One line that explains the alert: name, severity, condition and the numbers."""
    return f"{result.rule.name} [{result.rule.severity}]: {explain(result)}"


__all__ += ["describe", "explain"]
