"""The gate verdict as data: one :class:`CriterionResult` per criterion, one :class:`Verdict`.

The gates compute it (:func:`testgate.gates.evaluate`), the run carries it (``Run.verdict``,
stored as ``verdict`` in ``summary.json`` with schema ``testgate.verdict/1``), and renderers,
the history and the dashboard read it. It lives beside the model so that none of them needs
the gates package to read a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from testgate.errors import ExitCode

__all__ = [
    "CRITERION_STATUSES",
    "VERDICT_SCHEMA",
    "CriterionResult",
    "CriterionStatus",
    "Verdict",
    "bypass_text",
    "compress_lines",
    "format_value",
]

#: the shape of ``Verdict.to_dict()`` (also stored as ``verdict`` in summary.json)
VERDICT_SCHEMA = "testgate.verdict/1"

CriterionStatus = Literal["pass", "fail", "warn", "not_measured", "skipped"]
CRITERION_STATUSES: tuple[CriterionStatus, ...] = (
    "pass",
    "fail",
    "warn",
    "not_measured",
    "skipped",
)


def format_value(value: float | None, unit: str | None) -> str:
    """A metric value for people. Percentages are floored, so 99.999 never shows as 100%."""
    if value is None:
        return "not measured"
    if not math.isfinite(value):
        return f"{'-' if value < 0 else ''}∞{unit or ''}"  # a regression from a zero baseline
    if unit == "%":
        shown = math.floor(value * 100) / 100
        return f"{shown:.2f}".rstrip("0").rstrip(".") + "%"
    text = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return f"{text}{unit}" if unit in ("ms", "s") else (f"{text} rps" if unit == "rps" else text)


def compress_lines(lines: Sequence[int], limit: int = 8) -> str:
    """``[1, 2, 3, 7]`` -> ``1-3, 7`` (at most *limit* ranges, then ``…``)."""
    ranges: list[str] = []
    start = prev = None
    for n in lines:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            ranges.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = n
    if start is not None:
        ranges.append(f"{start}-{prev}" if start != prev else str(start))
    if len(ranges) > limit:
        return ", ".join(ranges[:limit]) + ", …"
    return ", ".join(ranges)


def bypass_text(bypass: dict[str, Any] | None) -> str | None:
    """A recorded bypass for people (reason, who, when, which gates), or None."""
    if not bypass:
        return None
    who = f" by {bypass['user']}" if bypass.get("user") else ""
    when = f" at {bypass['at']}" if bypass.get("at") else ""
    gates = ", ".join(bypass.get("gates") or []) or "nothing was failing"
    word = "bypassed" if bypass.get("applied") else "bypass asked"
    return f"{word}{who}{when}: {bypass.get('reason', '')} (gates: {gates})"


def _status(value: Any) -> CriterionStatus:
    if value not in CRITERION_STATUSES:
        raise ValueError(f"criterion status {value!r} is not one of {CRITERION_STATUSES}")
    return cast(CriterionStatus, value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The outcome of one criterion."""

    gate: str
    criterion: str
    metric: str | None
    actual: float | None
    expected: str
    status: CriterionStatus
    level: str = "error"
    blocking: bool = True
    #: the first thing to look at (a failure) or why it was not measured
    hint: str | None = None
    #: more of the same, for Markdown details and JSON
    details: tuple[str, ...] = ()
    unit: str | None = None
    baseline: float | None = None
    #: shown instead of the number when the actual is not a metric (a gate set, an approval)
    label: str | None = None

    @property
    def actual_text(self) -> str:
        if self.label is not None:
            return self.label
        text = format_value(self.actual, self.unit)
        if self.baseline is not None:
            text += f" (baseline {format_value(self.baseline, self.unit)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "gate": self.gate,
            "criterion": self.criterion,
            "metric": self.metric,
            "actual": self.actual,
            "actual_text": self.actual_text,
            "expected": self.expected,
            "status": self.status,
            "level": self.level,
            "blocking": self.blocking,
            "hint": self.hint,
            "details": list(self.details),
        }
        if self.unit is not None:
            d["unit"] = self.unit
        if self.baseline is not None:
            d["baseline"] = self.baseline
        if self.label is not None:
            d["label"] = self.label
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CriterionResult:
        return cls(
            gate=str(d["gate"]),
            criterion=str(d["criterion"]),
            metric=d.get("metric"),
            actual=_opt_float(d.get("actual")),
            expected=str(d.get("expected", "")),
            status=_status(d.get("status")),
            level=str(d.get("level", "error")),
            blocking=bool(d.get("blocking", True)),
            hint=d.get("hint"),
            details=tuple(str(x) for x in d.get("details") or ()),
            unit=d.get("unit"),
            baseline=_opt_float(d.get("baseline")),
            label=d.get("label"),
        )


@dataclass(slots=True)
class Verdict:
    """The gates' decision over one run."""

    passed: bool
    results: list[CriterionResult]
    #: gate name -> its status (``pass``, ``fail``, ``warn``, ...)
    gates: dict[str, str]
    #: gate name -> whether it blocks
    blocking: dict[str, bool]
    strict: bool = False
    env: str | None = None
    bypass: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_code_base: dict[str, str] | None = None
    baseline_run: str | None = None

    @property
    def exit_code(self) -> int:
        return int(ExitCode.OK if self.passed else ExitCode.GATE_FAILED)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    @property
    def bypassed(self) -> bool:
        return bool(self.bypass and self.bypass.get("applied"))

    @property
    def bypass_text(self) -> str | None:
        """``bypassed by ana at 2026-03-01T10:00:00Z: hotfix INC-7 (gates: coverage_gate)``."""
        return bypass_text(self.bypass)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": VERDICT_SCHEMA,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "strict": self.strict,
            "env": self.env,
            "gates": [
                {"gate": g, "status": s, "blocking": self.blocking[g]}
                for g, s in self.gates.items()
            ],
            "criteria": [r.to_dict() for r in self.results],
            "bypass": self.bypass,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "new_code_base": self.new_code_base,
            "baseline_run": self.baseline_run,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """The verdict of a summary; raises ``KeyError``/``TypeError``/``ValueError`` on a
        malformed one (the summary reader turns those into one located error)."""
        schema = d.get("schema", VERDICT_SCHEMA)
        if not isinstance(schema, str) or not schema.startswith("testgate.verdict/1"):
            raise ValueError(f"verdict schema {schema!r} is not {VERDICT_SCHEMA!r}")
        gates = d.get("gates") or []
        return cls(
            passed=d["verdict"] == "pass",
            results=[CriterionResult.from_dict(r) for r in d.get("criteria") or []],
            gates={str(g["gate"]): str(g["status"]) for g in gates},
            blocking={str(g["gate"]): bool(g.get("blocking", True)) for g in gates},
            strict=bool(d.get("strict", False)),
            env=d.get("env"),
            bypass=d.get("bypass"),
            warnings=[str(x) for x in d.get("warnings") or []],
            notes=[str(x) for x in d.get("notes") or []],
            new_code_base=d.get("new_code_base"),
            baseline_run=d.get("baseline_run"),
        )
