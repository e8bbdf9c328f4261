"""Evaluate gates over a run: one :class:`Result` per criterion, one :class:`Verdict` overall.

:func:`evaluate` is a pure function of its inputs (the gate specs, the run, an optional baseline
run, the changed lines of a diff, today's date for quarantine expiry): no I/O and no clock, so
the same inputs always give the same verdict.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

from testgate.errors import GateError
from testgate.gates.criteria import Scope
from testgate.gates.facts import ChangedLines, Facts, missing_hint
from testgate.gates.quarantine import expired
from testgate.gates.spec import (
    Criterion,
    GateSpec,
    GatesSpec,
    QuarantineEntry,
    gates_for_env,
    higher_is_better,
)
from testgate.gates.threshold import Threshold, metric_unit
from testgate.model import Run
from testgate.verdict import VERDICT_SCHEMA, CriterionResult, Verdict, format_value
from testgate.verdict import CriterionStatus as Status

__all__ = ["VERDICT_SCHEMA", "Result", "Verdict", "evaluate"]

#: kept for the name the gates used before the verdict moved beside the model
Result = CriterionResult

_NO_BASELINE = (
    "no baseline: the history has no earlier run of the base branch (the notes say why); or "
    "pass --baseline FILE (a summary.json) or --baseline REF"
)


def _worst(th: Threshold, values: list[tuple[str, float]]) -> tuple[str, float]:
    """The value furthest on the wrong side (or closest to it) of the threshold."""
    return max(values, key=lambda mv: th.margin(mv[1]))


class _Evaluator:
    def __init__(
        self,
        facts: Facts,
        baseline: Facts | None,
        approved: bool,
    ) -> None:
        self.f = facts
        self.b = baseline
        self.approved = approved

    def missing(self, gate: GateSpec, c: Criterion, metric: str | None, hint: str) -> Result:
        policy = c.on_missing or ("fail" if gate.blocking else "warn")
        status: Status = "fail" if policy == "fail" else ("warn" if policy == "warn" else "skipped")
        if status == "fail" and c.level == "warn":
            status = "warn"
        return self.result(gate, c, metric, None, status, hint)

    def result(
        self,
        gate: GateSpec,
        c: Criterion,
        metric: str | None,
        actual: float | None,
        status: Status,
        hint: str | None = None,
        details: Iterable[str] = (),
        baseline: float | None = None,
        label: str | None = None,
    ) -> Result:
        return Result(
            gate.name,
            c.name,
            metric,
            actual,
            c.expected,
            status,
            c.level,
            gate.blocking,
            hint,
            tuple(details),
            metric_unit(metric) if metric else None,
            baseline,
            label,
        )

    def verdict_of(self, ok: bool, c: Criterion) -> Status:
        if ok:
            return "pass"
        return "warn" if c.level == "warn" else "fail"

    def criterion(self, gate: GateSpec, c: Criterion, gate_status: dict[str, str]) -> Result:
        if c.kind == "unmeasurable":
            return self.result(gate, c, c.metric, None, "not_measured", c.note)
        if c.kind == "approval":
            if self.approved:
                return self.result(gate, c, None, None, "pass", None, label="approved")
            return self.missing(
                gate, c, None, "not approved; pass --approve or set TESTGATE_APPROVED=1"
            )
        if c.kind == "gates":
            if not c.gates:
                return self.result(gate, c, None, None, "not_measured", c.note)
            bad = [g for g in c.gates if gate_status.get(g) == "fail"]
            hint = f"failing: {', '.join(bad)}" if bad else None
            label = f"{len(c.gates) - len(bad)} of {len(c.gates)} gates pass"
            return self.result(
                gate, c, None, None, self.verdict_of(not bad, c), hint, bad, label=label
            )
        assert c.metric is not None
        if c.kind == "trend":
            return self.trend(gate, c)
        if c.kind == "baseline":
            return self.compare(gate, c)
        return self.threshold(gate, c)

    def unscoped(self, gate: GateSpec, c: Criterion) -> Result | None:
        """A criterion whose name denotes a population (journeys, browsers, a service) measures
        only what it is scoped to; unscoped it is not measured, never the whole run."""
        if c.population is None or c.scope is not None:
            return None
        group = c.name.split(".")[0]
        return self.missing(
            gate,
            c,
            c.metric,
            f"{c.name} measures {c.population}, not the whole run: scope it to the tests (or "
            f"load tests) that are, e.g. {group}: {{scope: {{stages: [e2e]}}}}, "
            "{scope: {steps: [e2e/playwright]}} or {scope: {tests: 'tests/e2e/*'}}",
        )

    def threshold(self, gate: GateSpec, c: Criterion) -> Result:
        assert c.metric is not None
        assert c.threshold is not None
        unscoped = self.unscoped(gate, c)
        if unscoped is not None:
            return unscoped
        if c.metric == "coverage.new_code":
            nc = self.f.new_code()
            if nc is None:
                why = (
                    "no coverage report was read"
                    if not self.f.run.coverage
                    else "no git diff was computed (run in a git repository, or pass --base REF)"
                )
                return self.missing(gate, c, c.metric, f"coverage.new_code: {why}")
            if nc.total < max(c.min_changed_lines, 1):
                return self.result(
                    gate,
                    c,
                    c.metric,
                    None,
                    "skipped",
                    f"only {nc.total} changed coverable line(s); the criterion needs at least "
                    f"{max(c.min_changed_lines, 1)} (min_changed_lines)",
                )
        values = self.f.resolve(c.metric, c.paths, c.scope)
        if not values:
            why = missing_hint(c.metric)
            if c.scope is not None and c.metric.startswith(("tests.", "perf.")):
                why = f"{c.metric}: nothing in the criterion's scope ({c.scope}) gave it"
            left_out = self.f.perf_left_out(c.metric, c.scope)
            if left_out:
                why = (
                    f"{c.metric}: only micro-benchmarks ({', '.join(left_out)}) give it; a "
                    "latency criterion reads load-test reports (k6, Locust, JMeter, Gatling, wrk, "
                    "autocannon); name a benchmark's scenario to gate on it"
                )
            if c.metric.startswith("tests@") and self.f.has_tests():
                scope = c.metric[len("tests@") :].partition(".")[0]
                why = (
                    f"no test ran in a step or stage whose name contains {scope!r}; "
                    "name the step accordingly"
                )
            if c.paths and self.f.run.coverage:
                why = f"{c.metric}: no coverable file matches {', '.join(c.paths)}"
            return self.missing(gate, c, c.metric, why)
        where = f"gates.{gate.name}.criteria.{c.name}"
        bound = c.threshold.for_metric(values[0][0], where=where)
        metric, value = _worst(bound, values)
        ok = all(bound.check(v) for _, v in values)
        status = self.verdict_of(ok, c)
        hint: str | None = None
        details: tuple[str, ...] = ()
        if not ok:
            hint, details = self.explain(c, metric, value, values)
        elif c.scope is not None:
            details = (f"scope: {c.scope}",)
        return self.result(gate, c, metric, value, status, hint, details)

    def explain(
        self, c: Criterion, metric: str, value: float, values: list[tuple[str, float]]
    ) -> tuple[str | None, tuple[str, ...]]:
        """The first thing to look at when *metric* fails."""
        f = self.f
        lines: list[str] = []
        if metric.startswith("tests"):
            scope: str | Scope = (
                metric[len("tests@") :].partition(".")[0] if metric.startswith("tests@") else ""
            )
            if c.scope is not None:
                scope = c.scope
            lines = f.failing_tests(scope)
            if f.test_stats(scope).quarantined:
                lines.append(
                    f"({len(f.test_stats(scope).quarantined)} quarantined failure(s) not counted)"
                )
        elif metric == "coverage.new_code":
            lines = f.new_code_misses()
        elif metric.startswith("coverage."):
            lines = f.least_covered(c.paths)
        elif metric.startswith("security."):
            lines = f.findings("vulnerability", metric.split(".", 1)[1])
        elif metric.startswith("secrets."):
            lines = f.findings("secret")
        elif metric.startswith("licenses."):
            lines = f.findings("license")
        elif metric == "lint.errors":  # the model counts critical and high as errors
            lines = f.findings("lint", ("critical", "high"))
        elif metric == "lint.warnings":
            lines = f.findings("lint", ("medium", "low"))
        elif metric.startswith("complexity."):
            lines = f.findings("complexity")
        elif metric.startswith("duplication."):
            lines = f.findings("duplication")
        elif metric.startswith("perf."):
            suffix = metric.split(".", 2)[2]
            bound = c.threshold
            worst = [
                f"{m} = {format_value(v, metric_unit(m))} in {where}"
                for m, v, where in f.perf(c.metric or metric, c.scope)
                if bound is None or not bound.for_metric(m).check(v)
            ]
            lines = worst or [
                f"{m} = {format_value(v, metric_unit(m))}" for m, v in values if m == metric
            ]
            lines += f.perf_ranking(suffix)
        return (lines[0] if lines else None), tuple(lines)

    def base_value(self, metric: str) -> float | None:
        return None if self.b is None else self.b.metric(metric)

    def trend(self, gate: GateSpec, c: Criterion) -> Result:
        assert c.metric is not None
        unscoped = self.unscoped(gate, c)
        if unscoped is not None:
            return unscoped
        values = self.f.resolve(c.metric, c.paths, c.scope)
        if not values:
            return self.missing(gate, c, c.metric, missing_hint(c.metric))
        metric, value = values[0]
        if self.b is None:
            return self.result(
                gate,
                c,
                metric,
                value,
                "not_measured",
                _NO_BASELINE,
            )
        base = self.base_value(metric)
        if base is None:
            return self.result(
                gate, c, metric, value, "not_measured", f"the baseline run has no {metric}"
            )
        delta = value - base
        bad = -delta if c.trend == "not_decreasing" else delta
        ok = bad <= 0 or bad < c.min_effect
        hint = None
        if not ok:
            word = "dropped" if c.trend == "not_decreasing" else "rose"
            unit = metric_unit(metric)
            hint = f"{metric} {word} by {format_value(abs(delta), unit)} since the baseline"
            _, more = self.explain(c, metric, value, values)
            return self.result(
                gate, c, metric, value, self.verdict_of(ok, c), hint, (hint, *more), base
            )
        return self.result(gate, c, metric, value, "pass", None, (), base)

    def compare(self, gate: GateSpec, c: Criterion) -> Result:
        """baseline_comparison: a relative (``5%``) or absolute regression limit per metric."""
        assert c.metric is not None
        assert c.threshold is not None
        unscoped = self.unscoped(gate, c)
        if unscoped is not None:
            return unscoped
        values = self.f.resolve(c.metric, c.paths, c.scope)
        if not values:
            return self.missing(gate, c, c.metric, missing_hint(c.metric))
        if self.b is None:
            return self.result(
                gate,
                c,
                values[0][0],
                values[0][1],
                "not_measured",
                _NO_BASELINE,
            )
        higher = higher_is_better(c.metric.replace("*", "x"))
        worst: tuple[float, str, float, float] | None = None
        for metric, value in values:
            base = self.b.metric(metric)
            if base is None:
                continue
            change = (base - value) if higher else (value - base)  # > 0 is a regression
            if abs(change) < c.min_effect:
                change = min(change, 0.0)
            if c.threshold.unit != "%":
                rel = change
            elif base == 0:  # any rise from nothing is an unbounded relative change
                rel = 0.0 if change <= 0 else float("inf")
            else:
                rel = 100.0 * change / abs(base)
            if worst is None or rel > worst[0]:
                worst = (rel, metric, value, base)
        if worst is None:
            return self.result(
                gate,
                c,
                values[0][0],
                values[0][1],
                "not_measured",
                f"the baseline run has no {c.metric}",
            )
        rel, metric, value, base = worst
        ok = rel <= c.threshold.value
        hint = None
        if not ok:
            unit = "%" if c.threshold.unit == "%" else ""
            hint = (
                f"{metric} regressed {format_value(rel, unit or None)} vs the baseline "
                f"({format_value(base, metric_unit(metric))} -> "
                f"{format_value(value, metric_unit(metric))})"
            )
        return self.result(
            gate, c, metric, value, self.verdict_of(ok, c), hint, (hint,) if hint else (), base
        )


def evaluate(
    spec: GatesSpec,
    run: Run,
    *,
    baseline: Run | None = None,
    env: str | None = None,
    strict: bool = False,
    bypass: str | None = None,
    changes: ChangedLines | None = None,
    today: _dt.date | None = None,
    approved: bool = False,
    file_totals: dict[str, tuple[int, int]] | None = None,
) -> Verdict:
    """The verdict of *spec*'s gates (or of *env*'s deployment set) over *run*.

    *today* decides which quarantine entries have expired (None: none has). A *bypass* reason
    turns a failing verdict into a passing one only if every failing blocking gate allows it;
    otherwise it is a :class:`GateError`.
    """
    warnings: list[str] = []
    active: list[QuarantineEntry] = []
    for q in spec.quarantine:
        if expired(q, today):
            owner = f" (owner {q.owner})" if q.owner else ""
            warnings.append(
                f"quarantine entry for {q.test}{owner} expired on {q.expires}; "
                "its failures count again"
            )
        else:
            active.append(q)
    facts = Facts(run, quarantine=active, changes=changes, file_totals=file_totals)
    base_facts = Facts(baseline, quarantine=active) if baseline is not None else None
    ev = _Evaluator(facts, base_facts, approved)

    selected = gates_for_env(spec, env)
    # gates referenced by built-in deployment checks are evaluated (and shown) first
    order: list[GateSpec] = []
    seen: set[str] = set()
    for g in selected:
        for c in g.criteria:
            for name in c.gates:
                if name not in seen and name in spec.gates:
                    order.append(spec.gates[name])
                    seen.add(name)
    for g in selected:
        if g.name not in seen:
            order.append(g)
            seen.add(g.name)

    results: list[Result] = []
    gate_status: dict[str, str] = {}
    blocking: dict[str, bool] = {}
    for g in order:
        rs = [ev.criterion(g, c, gate_status) for c in g.criteria]
        results.extend(rs)
        statuses = {r.status for r in rs}
        gate_status[g.name] = (
            "fail" if "fail" in statuses else ("warn" if "warn" in statuses else "pass")
        )
        blocking[g.name] = g.blocking
    failing = [
        g.name
        for g in order
        if (gate_status[g.name] == "fail" and g.blocking)
        or (strict and gate_status[g.name] in ("fail", "warn"))
    ]
    passed = not failing
    bypass_record: dict[str, Any] | None = None
    if bypass is not None:
        if not bypass.strip():
            raise GateError("--bypass needs a reason, e.g. --bypass 'hotfix for INC-123'")
        by_name = {g.name: g for g in order}
        refused = [n for n in failing if not by_name[n].bypass_allowed]
        if refused:
            raise GateError(
                f"--bypass is not allowed for gate(s) {', '.join(refused)} "
                "(enforcement.bypass_allowed is false); fix the failures instead"
            )
        bypass_record = {"reason": bypass, "gates": failing, "applied": bool(failing)}
        passed = True
    notes = list(spec.notes)
    if changes is not None and changes.description:
        notes.append(f"new code: {changes.description}")
    return Verdict(
        passed=passed,
        results=results,
        gates=gate_status,
        blocking=blocking,
        strict=strict,
        env=env,
        bypass=bypass_record,
        warnings=warnings,
        notes=notes,
        new_code_base=(
            {"ref": changes.base_ref, "commit": changes.base_commit}
            if changes is not None
            else None
        ),
        baseline_run=baseline.id if baseline is not None else None,
    )
