"""Gate configuration: ``Config.gates``, ``deployment_gates`` and ``quarantine`` read into frozen
specs, and the built-in deployment checks.

A gate is ``{criteria: ..., enforcement: {blocking, bypass_allowed}}``; its criteria are read by
:mod:`testgate.gates.criteria` (the explicit form and the seed's shorthand). Every problem is a
:class:`ConfigError` naming its key path; all problems are reported at once.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from testgate.errors import ConfigError, GateError
from testgate.gates.criteria import (
    Criterion,
    OnMissing,
    higher_is_better,
    parse_criteria,
    parse_criterion_list,
    problem,
)
from testgate.gates.threshold import Threshold, format_number

__all__ = [
    "BUILTIN_CHECKS",
    "QUARANTINE_GATE",
    "Criterion",
    "DeploymentSpec",
    "GateSpec",
    "GatesSpec",
    "QuarantineEntry",
    "collect_gates",
    "gates_for_env",
    "higher_is_better",
    "parse_gates",
]


@dataclass(frozen=True, slots=True)
class GateSpec:
    name: str
    criteria: tuple[Criterion, ...]
    blocking: bool = True
    bypass_allowed: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    env: str
    required: tuple[str, ...]
    rollback_triggers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    test: str
    owner: str | None = None
    #: ISO date (YYYY-MM-DD); after it the entry no longer counts
    expires: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class GatesSpec:
    gates: dict[str, GateSpec] = field(default_factory=dict)
    deployments: dict[str, DeploymentSpec] = field(default_factory=dict)
    quarantine: tuple[QuarantineEntry, ...] = ()
    #: notes about configuration that was accepted but is not evaluated (rollback triggers)
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Built-in deployment checks: names the seed uses in required_gates that are not gates.

#: name -> (description, criteria factory input). "gates:coverage" = every gate on coverage.*
BUILTIN_CHECKS: dict[str, str] = {
    "all_unit_tests_pass": "tests.failed == 0 and tests.errors == 0 over the whole run",
    "integration_tests_pass": "no failed test in steps or stages named *integration*",
    "e2e_tests_pass": "no failed test in steps or stages named *e2e*",
    "no_critical_vulnerabilities": "security.critical == 0",
    "security_scan_clean": "security.critical == 0, security.high == 0, secrets.count == 0",
    "coverage_threshold_met": "every configured gate with a coverage.* criterion passes",
    "performance_baseline_met": "every configured gate with a perf.* criterion passes",
    "all_quality_gates_pass": "every configured gate passes",
    "manual_approval": "--approve or TESTGATE_APPROVED=1",
}


def _builtin(name: str, gates: Mapping[str, GateSpec]) -> GateSpec:
    def thr(crit: str, metric: str, text: str) -> Criterion:
        return Criterion(
            name, crit, "threshold", metric, Threshold.parse(text), expected=text, on_missing="fail"
        )

    def of_gates(crit: str, names: Iterable[str], why: str) -> Criterion:
        names = tuple(names)
        return Criterion(
            name,
            crit,
            "gates",
            gates=names,
            expected="all pass",
            note=None if names else f"no configured gate {why}",
        )

    crits: tuple[Criterion, ...]
    if name == "all_unit_tests_pass":
        crits = (thr("failed", "tests.failed", "== 0"), thr("errors", "tests.errors", "== 0"))
    elif name in ("integration_tests_pass", "e2e_tests_pass"):
        word = name.split("_")[0]
        crits = (thr(f"{word}.failed", f"tests@{word}.failed", "== 0"),)
    elif name == "no_critical_vulnerabilities":
        crits = (thr("critical", "security.critical", "== 0"),)
    elif name == "security_scan_clean":
        crits = (
            thr("critical", "security.critical", "== 0"),
            thr("high", "security.high", "== 0"),
            thr("secrets", "secrets.count", "== 0"),
        )
    elif name == "coverage_threshold_met":
        crits = (of_gates("gates", _gates_on(gates, "coverage."), "has a coverage criterion"),)
    elif name == "performance_baseline_met":
        crits = (of_gates("gates", _gates_on(gates, "perf."), "has a perf criterion"),)
    elif name == "all_quality_gates_pass":
        crits = (of_gates("gates", gates, "exists"),)
    else:  # manual_approval
        crits = (Criterion(name, "approved", "approval", expected="approved"),)
    return GateSpec(name, crits, blocking=True, description=BUILTIN_CHECKS[name])


def _gates_on(gates: Mapping[str, GateSpec], prefix: str) -> list[str]:
    return [
        g.name
        for g in gates.values()
        if any((c.metric or "").startswith(prefix) for c in g.criteria)
    ]


_GATE_KEYS = (
    "criteria",
    "enforcement",
    "baseline_comparison",
    "description",
    "reporting",
    "validation_matrix",
)


def _gate(name: str, body: Any, where: str, problems: list[str]) -> GateSpec | None:
    """One gate, of the criteria that read; every problem in it goes to *problems*."""
    if not isinstance(body, dict):
        problems.append(
            f"{where}: a gate is a mapping with 'criteria' and 'enforcement', got {body!r}"
        )
        return None

    def keep(exc: ConfigError) -> None:
        problems.extend(exc.problems)

    unknown = sorted(set(body) - set(_GATE_KEYS))
    for key in unknown:
        close = difflib.get_close_matches(key, _GATE_KEYS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        keep(
            problem(
                f"{where}.{key}", f"unknown gate key; {hint}expected one of {', '.join(_GATE_KEYS)}"
            )
        )
    enforcement = body.get("enforcement") or {}
    blocking: Any = True
    bypass: Any = False
    if not isinstance(enforcement, dict):
        keep(problem(f"{where}.enforcement", "expected {blocking: bool, bypass_allowed: bool}"))
    else:
        for k in enforcement:
            if k not in ("blocking", "bypass_allowed"):
                keep(problem(f"{where}.enforcement.{k}", "expected blocking or bypass_allowed"))
        blocking = enforcement.get("blocking", True)
        bypass = enforcement.get("bypass_allowed", False)
        for key, val in (("blocking", blocking), ("bypass_allowed", bypass)):
            if not isinstance(val, bool):
                keep(problem(f"{where}.enforcement.{key}", f"expected true or false, got {val!r}"))
    crits = parse_criteria(name, body.get("criteria") or {}, f"{where}.criteria", problems)
    if "baseline_comparison" in body:
        try:
            crits.extend(
                replace(c, where=f"{where}.baseline_comparison")
                for c in parse_criterion_list(
                    name,
                    "baseline_comparison",
                    body["baseline_comparison"],
                    f"{where}.baseline_comparison",
                )
            )
        except ConfigError as exc:
            keep(exc)
    default_missing: OnMissing = "fail" if blocking else "warn"
    crits = [c if c.on_missing else replace(c, on_missing=default_missing) for c in crits]
    desc = body.get("description")
    return GateSpec(name, tuple(crits), bool(blocking), bool(bypass), str(desc) if desc else None)


def _quarantine(raw: list[dict[str, Any]], at: str = "quarantine") -> tuple[QuarantineEntry, ...]:
    out: list[QuarantineEntry] = []
    for i, item in enumerate(raw):
        where = f"{at}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("test"), str):
            raise problem(where, "expected {test: ID, owner: NAME, expires: YYYY-MM-DD}")
        expires = item.get("expires")
        if expires is not None:
            if isinstance(expires, _dt.date):
                expires = expires.isoformat()
            try:
                _dt.date.fromisoformat(str(expires))
            except ValueError:
                raise problem(
                    f"{where}.expires", f"expected a date YYYY-MM-DD, got {expires!r}"
                ) from None
        out.append(
            QuarantineEntry(
                item["test"],
                None if item.get("owner") is None else str(item["owner"]),
                None if expires is None else str(expires),
                None if item.get("reason") is None else str(item["reason"]),
            )
        )
    return tuple(out)


def _plain(value: Any) -> Any:
    """Typed configuration (pydantic models) as the plain data it was read from."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_unset=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_gates(
    gates: Mapping[str, Any],
    deployment_gates: Mapping[str, Any] | None = None,
    quarantine: list[dict[str, Any]] | Mapping[str, Any] | None = None,
) -> GatesSpec:
    """Validate ``gates``, ``deployment_gates`` and ``quarantine`` from the configuration.

    Each takes the plain data as written or the typed sections of
    :class:`~testgate.config.schema.Config`. Every problem found is collected into one
    :class:`ConfigError` (``.problems``).
    """
    spec, problems = collect_gates(gates, deployment_gates, quarantine)
    if problems:
        raise ConfigError(problems[0], problems=problems, slug="gate-config")
    return spec


def collect_gates(
    gates: Mapping[str, Any],
    deployment_gates: Mapping[str, Any] | None = None,
    quarantine: list[dict[str, Any]] | Mapping[str, Any] | None = None,
) -> tuple[GatesSpec, list[str]]:
    """The gates that read, and one ``key.path: message`` line per problem in the others."""
    gates, deployment_gates, quarantine = (
        _plain(gates),
        _plain(deployment_gates),
        _plain(quarantine),
    )
    problems: list[str] = []
    specs: dict[str, GateSpec] = {}
    for name, body in (gates or {}).items():
        gate = _gate(str(name), body, f"gates.{name}", problems)
        if gate is not None:
            specs[str(name)] = gate
    deployments: dict[str, DeploymentSpec] = {}
    notes: list[str] = []
    for env, body in (deployment_gates or {}).items():
        where = f"deployment_gates.{env}"
        if not isinstance(body, dict):
            problems.append(f"{where}: expected {{required_gates: [...]}}")
            continue
        for k in body:
            if k not in ("required_gates", "rollback_triggers"):
                problems.append(
                    f"{where}.{k}: unknown key; expected required_gates or rollback_triggers"
                )
        required = body.get("required_gates") or []
        if not isinstance(required, list):
            problems.append(f"{where}.required_gates: expected a list of gate names")
            continue
        for i, r in enumerate(required):
            if str(r) not in specs and str(r) not in BUILTIN_CHECKS and str(r) not in gates:
                known = sorted(gates) + sorted(BUILTIN_CHECKS)
                close = difflib.get_close_matches(str(r), known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    f"{where}.required_gates[{i}]: {r!r} is neither a configured gate nor a "
                    f"built-in check; {hint}known names: {', '.join(known)}"
                )
        triggers = tuple(
            str(t) if not isinstance(t, dict) else ", ".join(f"{k}: {v}" for k, v in t.items())
            for t in body.get("rollback_triggers") or []
        )
        if triggers:
            notes.append(
                f"{where}.rollback_triggers ({'; '.join(triggers)}) are for after deployment; "
                "they are not evaluated at gate time"
            )
        deployments[str(env)] = DeploymentSpec(str(env), tuple(str(r) for r in required), triggers)
    entries = quarantine.get("tests") if isinstance(quarantine, Mapping) else quarantine
    try:
        at = "quarantine.tests" if isinstance(quarantine, Mapping) else "quarantine"
        q = _quarantine(list(entries or []), at)
    except ConfigError as exc:
        problems.extend(exc.problems)
        q = ()
    budget = quarantine.get("budget") if isinstance(quarantine, Mapping) else None
    if budget is not None:
        try:
            specs[QUARANTINE_GATE] = _budget_gate(budget)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return GatesSpec(specs, deployments, q, tuple(notes)), problems


#: the gate that ``quarantine.budget`` adds
QUARANTINE_GATE = "quarantine_budget"


def _budget_gate(budget: Any) -> GateSpec:
    """``quarantine.budget: 5`` (at most five quarantined tests) or ``'2%'`` (of the run's)."""
    where = "quarantine.budget"
    text = str(budget).strip()
    if isinstance(budget, bool):
        raise problem(where, f"expected a count such as 5 or a share '2%', got {budget!r}")
    try:
        th = Threshold.parse(text if text.endswith("%") else f"<= {text}")
    except GateError:
        raise problem(
            where, f"expected a count such as 5 or a share '2%', got {budget!r}"
        ) from None
    if text.endswith("%"):
        crit = Criterion(
            QUARANTINE_GATE,
            "budget",
            "threshold",
            "quarantine.percent",
            Threshold("<=", th.value, "%"),
            expected=f"<= {text}",
            on_missing="skip",
            where=where,
        )
    else:
        crit = Criterion(
            QUARANTINE_GATE,
            "budget",
            "threshold",
            "quarantine.tests",
            th,
            expected=f"<= {format_number(th.value)}",
            on_missing="skip",
            where=where,
        )
    return GateSpec(
        QUARANTINE_GATE,
        (crit,),
        blocking=True,
        description="quarantine.budget: how many quarantined tests the configuration allows",
    )


def gates_for_env(spec: GatesSpec, env: str | None) -> list[GateSpec]:
    """The gates to evaluate: all configured ones, or the required set of *env*."""
    if env is None:
        return list(spec.gates.values())
    dep = spec.deployments.get(env)
    if dep is None:
        known = ", ".join(sorted(spec.deployments)) or "none configured"
        raise GateError(
            f"--env {env}: no deployment_gates.{env} in the configuration (known: {known})"
        )
    return [spec.gates[n] if n in spec.gates else _builtin(n, spec.gates) for n in dep.required]
