"""Criteria: the explicit ``{metric, threshold}`` form and the seed's shorthand, read into
:class:`Criterion` objects.

The shorthand names a group and a key that testgate maps to a metric (``SHORTHAND``)::

    criteria:
      overall: {threshold: ">= 80%", trend: not_decreasing}
      vulnerability_scan: {critical: 0, high: 0, medium: "< 5"}

What testgate cannot measure (``pci_dss: compliant``) becomes a criterion of kind ``unmeasurable``
that evaluation reports as "not measured"; a list of names (journeys, browsers) is context.
Every problem is a :class:`ConfigError` naming its key path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from testgate.errors import ConfigError, GateError
from testgate.gates.threshold import Threshold

if TYPE_CHECKING:
    from testgate.gates.registry import CriteriaRegistry

__all__ = [
    "POPULATIONS",
    "SHORTHAND",
    "Criterion",
    "Emit",
    "Kind",
    "Level",
    "OnMissing",
    "Scope",
    "higher_is_better",
    "parse_criteria",
    "parse_criterion_list",
    "problem",
    "simple",
    "zero",
]

Kind = Literal["threshold", "trend", "baseline", "unmeasurable", "approval", "gates"]
Level = Literal["error", "warn"]
OnMissing = Literal["fail", "warn", "skip"]


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition of a gate."""

    gate: str
    #: the criterion's name as written, dotted (``overall.threshold``, ``vulnerability_scan.high``)
    name: str
    kind: Kind
    #: a metric name; ``*`` matches one name segment (``perf.*.p95_ms``); None when unmeasurable
    metric: str | None = None
    threshold: Threshold | None = None
    #: the threshold as the user wrote it (shown as "expected")
    expected: str = ""
    level: Level = "error"
    on_missing: OnMissing | None = None
    #: trend: not_decreasing | not_increasing; baseline: higher_is_better decides the direction
    trend: str | None = None
    #: absolute change below which a trend or baseline comparison is noise
    min_effect: float = 0.0
    #: component and critical-path coverage: globs relative to the coverage root
    paths: tuple[str, ...] = ()
    #: new-code coverage: fewer changed coverable lines than this skips the criterion
    min_changed_lines: int = 0
    #: why testgate cannot measure it, or what it would need
    note: str | None = None
    #: for kind "gates": the gates whose verdict this criterion is
    gates: tuple[str, ...] = ()
    #: the tests (and performance reports) it measures; None: the whole run
    scope: Scope | None = None
    #: the population its name denotes (``user journeys``), which a scope must say
    population: str | None = None
    #: the key path it was read from, for messages with a line
    where: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """A criterion's population: the tests of these stages, steps or test ids (globs)."""

    stages: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [
            f"{k} {', '.join(v)}"
            for k, v in (("stages", self.stages), ("steps", self.steps), ("tests", self.tests))
            if v
        ]
        return "; ".join(parts)


# The shorthand map. A handler gets (gate, group, key, value, where) and returns criteria.

_Emit = Callable[[str, str, str, Any, str], list[Criterion]]
Emit = _Emit


def _simple(metric: str, default_op: str = "<=") -> _Emit:
    def emit(gate: str, group: str, key: str, value: Any, where: str) -> list[Criterion]:
        th = _threshold(value, where, default_op)
        _check_unit(th, metric, where)
        return [Criterion(gate, f"{group}.{key}", "threshold", metric, th, expected=_text(value))]

    return emit


def _zero(metric: str) -> _Emit:
    """A criterion whose only sensible meaning is "no such problems" (``verified``, ``100%``)."""

    def emit(gate: str, group: str, key: str, value: Any, where: str) -> list[Criterion]:
        return [
            Criterion(
                gate,
                f"{group}.{key}",
                "threshold",
                metric,
                Threshold("==", 0.0),
                expected=f"{_text(value)} ({metric} == 0)",
            )
        ]

    return emit


def _perf_stat(metric_suffix: str | None) -> _Emit:
    """``latency: p95 < 100ms`` -> perf.*.p95_ms (the stat picks the metric)."""

    def emit(gate: str, group: str, key: str, value: Any, where: str) -> list[Criterion]:
        th = _threshold(value, where, "<=")
        suffix = metric_suffix or (f"{th.stat}_ms" if th.stat and th.stat != "rate" else "p95_ms")
        if suffix == "mean_ms":
            suffix = "avg_ms"
        _check_unit(th, f"perf.*.{suffix}", where)
        return [
            Criterion(
                gate, f"{group}.{key}", "threshold", f"perf.*.{suffix}", th, expected=_text(value)
            )
        ]

    return emit


def _lint(gate: str, group: str, key: str, value: Any, where: str) -> list[Criterion]:
    if key == "severity_threshold":
        return []  # read together with pass_rate in _group
    th = _threshold(value, where, ">=")
    if not (th.is_minimum and th.value >= 100.0 and th.unit in ("%", None)):
        # lint reports give problem counts, not a pass rate: only "all clean" is checkable
        raise _problem(
            where,
            f"testgate can check a lint pass rate of 100% only (lint.errors == 0), got "
            f"{value!r}; write an explicit criterion such as "
            "{metric: lint.errors, threshold: '<= 10'}",
        )
    return _zero("lint.errors")(gate, group, key, value, where)


#: testgate's own shorthand: (group, key) -> handler, ``*`` as group matches any group.
#: Registered through the ``testgate_register_criteria`` hook by :mod:`testgate.gates.builtin`.
SHORTHAND: dict[tuple[str, str], _Emit] = {
    ("linting", "pass_rate"): _lint,
    ("linting", "severity_threshold"): _lint,
    ("linting", "errors"): _simple("lint.errors"),
    ("linting", "warnings"): _simple("lint.warnings"),
    ("code_complexity", "cyclomatic_complexity"): _simple("complexity.cyclomatic.max"),
    ("code_complexity", "cognitive_complexity"): _simple("complexity.cognitive.max"),
    ("duplication", "threshold"): _simple("duplication.percent"),
    ("documentation", "public_api_coverage"): _simple("docs.public_api", ">="),
    ("api_contracts", "validation"): _simple("tests.pass_rate", ">="),
    ("service_communication", "latency"): _perf_stat(None),
    ("service_communication", "error_rate"): _simple("perf.*.error_rate"),
    ("*", "error_rate"): _simple("perf.*.error_rate"),
    ("critical_user_journeys", "pass_rate"): _simple("tests.pass_rate", ">="),
    ("throughput", "sustained_rps"): _simple("perf.all.rps", ">="),
    ("vulnerability_scan", "critical"): _simple("security.critical"),
    ("vulnerability_scan", "high"): _simple("security.high"),
    ("vulnerability_scan", "medium"): _simple("security.medium"),
    ("vulnerability_scan", "low"): _simple("security.low"),
    ("code_security", "secrets_scan"): _simple("secrets.count"),
    ("dependency_scan", "license_compliance"): _zero("licenses.violations"),
    ("*", "mutation_test_score"): _simple("mutation.score", ">="),
    ("*", "mutation_score"): _simple("mutation.score", ">="),
    ("tests", "pass_rate"): _simple("tests.pass_rate", ">="),
    ("tests", "failed"): _simple("tests.failed"),
    ("tests", "flaky"): _simple("tests.flaky"),
    ("tests", "duration"): _simple("tests.duration_s"),
    ("coverage", "line"): _simple("coverage.line", ">="),
    ("coverage", "branch"): _simple("coverage.branch", ">="),
}

#: the note of a criterion testgate has no metric for
_KNOWN_UNMEASURABLE_HINT = (
    "testgate has no report that measures this; keep it as documentation or replace it with "
    "an explicit {metric: ..., threshold: ...} criterion"
)

_CRITERION_KEYS = frozenset(
    {
        "metric",
        "threshold",
        "level",
        "on_missing",
        "trend",
        "min_effect",
        "paths",
        "description",
        "scope",
    }
)

#: words in a criterion's name that denote a population of tests (or of a service's traffic),
#: and how the hint names it: such a criterion measures only the tests it is scoped to
POPULATIONS: dict[str, str] = {
    "e2e": "end-to-end tests",
    "end_to_end": "end-to-end tests",
    "journey": "user journeys",
    "journeys": "user journeys",
    "browser": "browsers",
    "browsers": "browsers",
    "mobile": "mobile devices",
    "device": "devices",
    "devices": "devices",
    "contract": "contract tests",
    "contracts": "contract tests",
    "service": "a service",
    "services": "services",
    "integration": "integration tests",
}

#: metric families a population-named criterion measures (coverage, security... are not)
_POPULATION_METRICS = ("tests.", "perf.")


def _population(name: str, metric: str | None) -> str | None:
    if metric is None or not metric.startswith(_POPULATION_METRICS):
        return None
    for word in re.split(r"[^a-z0-9]+", name.lower()):
        if word in POPULATIONS:
            return POPULATIONS[word]
    return None


def _globs_of(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _problem(where, f"expected a name, a glob or a list of them, got {value!r}")


def _scope(value: Any, where: str) -> Scope | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _problem(where, "expected {stages: [...]}, {steps: [...]} or {tests: 'glob'}")
    unknown = sorted(set(value) - {"stages", "steps", "tests"})
    if unknown:
        close = difflib.get_close_matches(unknown[0], ["stages", "steps", "tests"], n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise _problem(
            f"{where}.{unknown[0]}", f"unknown scope key; {hint}expected stages, steps or tests"
        )
    scope = Scope(
        _globs_of(value.get("stages"), f"{where}.stages"),
        _globs_of(value.get("steps"), f"{where}.steps"),
        _globs_of(value.get("tests"), f"{where}.tests"),
    )
    if not (scope.stages or scope.steps or scope.tests):
        raise _problem(where, "an empty scope measures nothing; name stages, steps or tests")
    return scope


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _threshold(value: Any, where: str, default_op: str = "<=") -> Threshold:
    try:
        return Threshold.parse(value, default_op=default_op)  # type: ignore[arg-type]
    except GateError as exc:
        raise ConfigError(f"{where}: {exc}", slug="gate-threshold") from None


def _problem(where: str, msg: str) -> ConfigError:
    return ConfigError(f"{where}: {msg}", slug="gate-config")


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise _problem(where, f"expected one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _min_effect(value: Any, where: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        raise _problem(where, f"expected a number such as 0.5 or '20ms', got {value!r}")
    if isinstance(value, (int, float)):
        return abs(float(value))
    th = _threshold(f"== {value}", where)
    return abs(th.value * (1000.0 if th.unit == "s" else 60000.0 if th.unit == "m" else 1.0))


def _common(crit: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "level" in crit:
        out["level"] = _choice(crit["level"], ("error", "warn"), f"{where}.level")
    if "on_missing" in crit:
        out["on_missing"] = _choice(
            crit["on_missing"], ("fail", "warn", "skip"), f"{where}.on_missing"
        )
    if "min_effect" in crit:
        out["min_effect"] = _min_effect(crit["min_effect"], f"{where}.min_effect")
    if crit.get("scope") is not None:
        out["scope"] = _scope(crit["scope"], f"{where}.scope")
    return out


def _explicit(gate: str, name: str, crit: dict[str, Any], where: str) -> list[Criterion]:
    known = sorted(_CRITERION_KEYS | {"min_changed_lines"})
    unknown = sorted(set(crit) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise _problem(
            f"{where}.{unknown[0]}",
            f"unknown criterion key '{unknown[0]}'; {hint}expected one of {', '.join(known)}",
        )
    metric = crit["metric"]
    if not isinstance(metric, str) or not metric:
        raise _problem(
            f"{where}.metric", f"expected a metric name such as coverage.line, got {metric!r}"
        )
    common = _common(crit, where)
    out: list[Criterion] = []
    paths = _globs(crit.get("paths"), f"{where}.paths")
    mcl = _int(crit.get("min_changed_lines", 0), f"{where}.min_changed_lines")
    if "threshold" in crit:
        th = _threshold(crit["threshold"], f"{where}.threshold")
        _check_unit(th, metric, f"{where}.threshold")
        out.append(
            Criterion(
                gate,
                name,
                "threshold",
                metric,
                th,
                expected=_text(crit["threshold"]),
                paths=paths,
                min_changed_lines=mcl,
                **common,
            )
        )
    if "trend" in crit:
        out.append(_trend(gate, name, metric, crit["trend"], f"{where}.trend", common))
    if not out:
        raise _problem(where, "a criterion needs a 'threshold' or a 'trend'")
    return out


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _problem(where, f"expected a whole number >= 0, got {value!r}")
    return value


def _globs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _problem(where, f"expected a glob or a list of globs, got {value!r}")


def _check_unit(th: Threshold, metric: str, where: str) -> None:
    if "*" in metric or "@" in metric:
        probe = metric.replace("*", "x").split("@")[0]
    else:
        probe = metric
    try:
        th.for_metric(probe, where=where)
    except GateError as exc:
        raise ConfigError(str(exc), slug="gate-threshold") from None


def _trend(
    gate: str, name: str, metric: str, value: Any, where: str, common: dict[str, Any]
) -> Criterion:
    trend = _choice(value, ("not_decreasing", "not_increasing"), where)
    return Criterion(
        gate,
        f"{name}.trend" if not name.endswith("trend") else name,
        "trend",
        metric,
        expected=trend,
        trend=trend,
        **common,
    )


def _unmeasurable(gate: str, name: str, value: Any, note: str | None = None) -> Criterion:
    return Criterion(
        gate, name, "unmeasurable", expected=_text(value), note=note or _KNOWN_UNMEASURABLE_HINT
    )


#: metrics where a larger value is better (a drop is a regression)
def higher_is_better(metric: str) -> bool:
    return metric.startswith("coverage.") or metric.endswith(
        (".pass_rate", ".rps", ".score", ".public_api", ".passed", ".total")
    )


_PERF_STATS = {
    "p50": "p50_ms",
    "p75": "p75_ms",
    "p90": "p90_ms",
    "p95": "p95_ms",
    "p99": "p99_ms",
    "avg": "avg_ms",
    "mean": "avg_ms",
    "max": "max_ms",
    "rps": "rps",
    "error_rate": "error_rate",
}
_BASELINE_NAMES = {
    "response_time": "perf.*.p95_ms",
    "throughput": "perf.*.rps",
    "latency": "perf.*.p95_ms",
}
_MODIFIERS = ("level", "on_missing", "min_effect", "scope")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower()).strip("_") or "x"


def _looks_like_glob(text: str) -> bool:
    return any(ch in text for ch in "/*?.[")


def _coverage_sets(gate: str, group: str, body: Any, where: str, family: str) -> list[Criterion]:
    """critical_paths and by_component: named sets of path globs with a threshold each."""
    out: list[Criterion] = []
    if family == "paths":
        if not isinstance(body, dict):
            raise _problem(where, "expected {threshold: ..., paths: [...]}")
        default = body.get("threshold")
        raw = body.get("paths")
        entries: list[tuple[str, Any, Any]] = []
        if isinstance(raw, dict):
            entries = [(str(k), v, default) for k, v in raw.items()]
        elif isinstance(raw, list):
            for i, item in enumerate(raw):
                if isinstance(item, str):
                    entries.append((item, item if _looks_like_glob(item) else None, default))
                elif isinstance(item, dict) and "name" in item:
                    entries.append(
                        (str(item["name"]), item.get("paths"), item.get("threshold", default))
                    )
                else:
                    raise _problem(
                        f"{where}.paths[{i}]", "expected a name, a glob or {name, paths}"
                    )
        elif raw is not None:
            raise _problem(f"{where}.paths", "expected a list or a mapping name -> globs")
    else:
        if not isinstance(body, dict):
            raise _problem(where, "expected a mapping component -> threshold or {paths, threshold}")
        entries = []
        for k, v in body.items():
            if isinstance(v, dict):
                entries.append((str(k), v.get("paths"), v.get("threshold")))
            else:
                entries.append((str(k), None, v))
    for name, globs, text in entries:
        here = f"{where}.{name}"
        crit_name = f"{group}.{name}"
        if text is None:
            raise _problem(here, "needs a threshold such as '>= 90%'")
        th = _threshold(text, f"{here}.threshold", ">=")
        metric = f"coverage.{'paths' if family == 'paths' else 'component'}.{_slug(name)}"
        patterns = _globs(globs, f"{here}.paths")
        if not patterns:
            what = "critical path" if family == "paths" else "component"
            fix = (
                f"write paths as a mapping, e.g. paths: {{{name!r}: ['path/to/code/**']}}"
                if family == "paths"
                else f"write {name}: {{paths: ['web/**'], threshold: {_text(text)!r}}}"
            )
            out.append(
                Criterion(
                    gate,
                    crit_name,
                    "unmeasurable",
                    metric,
                    th,
                    expected=_text(text),
                    note=f"no paths for {what} {name!r}; {fix}",
                )
            )
            continue
        _check_unit(th, metric, here)
        out.append(
            Criterion(
                gate, crit_name, "threshold", metric, th, expected=_text(text), paths=patterns
            )
        )
    return out


def _baseline_comparison(gate: str, name: str, body: Any, where: str) -> list[Criterion]:
    if not isinstance(body, dict) or "threshold" not in body:
        raise _problem(where, "expected {threshold: '5%', metrics: [...]}")
    th = _threshold(body["threshold"], f"{where}.threshold", "<=")
    metrics = body.get("metrics") or ["response_time", "throughput"]
    if not isinstance(metrics, list):
        raise _problem(f"{where}.metrics", f"expected a list of metric names, got {metrics!r}")
    common = _common(body, where)
    out: list[Criterion] = []
    for m in metrics:
        m = str(m)
        metric = _BASELINE_NAMES.get(m, m if "." in m else None)
        crit_name = f"{name}.{m}"
        if metric is None:
            out.append(
                _unmeasurable(
                    gate,
                    crit_name,
                    body["threshold"],
                    f"testgate has no metric for {m!r}; known names: "
                    f"{', '.join(sorted(_BASELINE_NAMES))} or any metric name",
                )
            )
            continue
        out.append(
            Criterion(
                gate,
                crit_name,
                "baseline",
                metric,
                th,
                expected=f"within {th.value:g}{th.unit or ''} of baseline",
                trend="not_decreasing" if higher_is_better(metric) else "not_increasing",
                **common,
            )
        )
    return out


#: groups testgate reads itself (besides the registered shorthand)
_OWN_GROUPS = (
    "overall",
    "new_code",
    "response_times",
    "critical_paths",
    "by_component",
    "baseline_comparison",
)


def _group(gate: str, group: str, body: Any, where: str) -> list[Criterion]:
    """Criteria from one entry of ``criteria:``, each knowing where it was read from and the
    population its name denotes."""
    crits = _group_criteria(gate, group, body, where)
    out: list[Criterion] = []
    for c in crits:
        if not c.where:
            c = replace(c, where=where)
        if c.population is None:
            c = replace(c, population=_population(c.name, c.metric))
        out.append(c)
    return out


def _close(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.8)
    return close[0] if close and close[0] != word else None


def _group_criteria(gate: str, group: str, body: Any, where: str) -> list[Criterion]:
    from testgate.gates.registry import default_criteria

    registry = default_criteria()
    if isinstance(body, dict) and "metric" in body:
        return _explicit(gate, group, body, where)
    plugged = registry.group(group)
    if plugged is not None:
        return plugged(gate, group, body, where)
    if group == "baseline_comparison":
        return _baseline_comparison(gate, group, body, where)
    if group in ("critical_paths", "by_component"):
        return _coverage_sets(
            gate, group, body, where, "paths" if group == "critical_paths" else "component"
        )
    if not isinstance(body, dict):
        if isinstance(body, list):
            return []  # a list of names is context, not a criterion
        handler = registry.shorthand("*", group)
        if handler:
            return handler(gate, group, group, body, where)
        if "." in group:  # `coverage.line: ">= 80%"`: a metric name as key
            return _explicit(gate, group, {"metric": group, "threshold": body}, where)
        _misspelt_group(group, registry, where)
        return [_unmeasurable(gate, group, body)]
    if (
        group not in _OWN_GROUPS
        and group != "linting"
        and not registry.shorthand_keys(group)
        and not any(registry.shorthand("*", str(k)) for k in body)
    ):
        _misspelt_group(group, registry, where)
    common = _common(body, where)
    out: list[Criterion] = []
    if group in ("overall", "new_code"):
        metric = "coverage.line" if group == "overall" else "coverage.new_code"
        spec = {k: v for k, v in body.items() if k in _CRITERION_KEYS or k == "min_changed_lines"}
        if "threshold" in spec or "trend" in spec:
            out.extend(_explicit(gate, group, {"metric": metric, **spec}, where))
        extra = sorted(set(body) - set(spec))
        out.extend(_unmeasurable(gate, f"{group}.{k}", body[k]) for k in extra)
        return out
    if group == "response_times":
        for scenario, stats in body.items():
            if scenario in _MODIFIERS:
                continue
            here = f"{where}.{scenario}"
            if not isinstance(stats, dict):
                raise _problem(here, "expected a mapping such as {p95: '< 200ms'}")
            for stat, text in stats.items():
                suffix = _PERF_STATS.get(str(stat))
                if suffix is None:
                    raise _problem(
                        f"{here}.{stat}", f"expected one of {', '.join(sorted(_PERF_STATS))}"
                    )
                metric = f"perf.{scenario}.{suffix}"
                th = _threshold(text, f"{here}.{stat}", ">=" if suffix == "rps" else "<=")
                _check_unit(th, metric, f"{here}.{stat}")
                out.append(
                    Criterion(
                        gate,
                        f"{group}.{scenario}.{stat}",
                        "threshold",
                        metric,
                        th,
                        expected=_text(text),
                        **common,
                    )
                )
        return out
    if group == "linting" and "pass_rate" in body:
        sev = str(body.get("severity_threshold", "error")).lower()
        here = f"{where}.pass_rate"
        out.extend(_with(_lint(gate, group, "pass_rate", body["pass_rate"], here), common))
        if sev in ("warning", "warn", "info"):
            out.append(
                _with(
                    _zero("lint.warnings")(gate, group, "severity_threshold", sev, where), common
                )[0]
            )
        body = {k: v for k, v in body.items() if k not in ("pass_rate", "severity_threshold")}
    for key, value in body.items():
        key = str(key)
        if key in _MODIFIERS:
            continue
        here = f"{where}.{key}"
        if isinstance(value, list):
            continue  # journeys, browsers, devices: context
        if key == "baseline_comparison":
            out.extend(_baseline_comparison(gate, f"{group}.{key}", value, here))
            continue
        handler = registry.shorthand(group, key)
        if handler is None and key == "pass_rate":
            handler = _simple("tests.pass_rate", ">=")
        if handler is None:
            keys = [k for _, k in registry.shorthand_keys(group)] + list(_MODIFIERS)
            close = _close(key, keys)
            if close:
                raise _problem(here, f"unknown key '{key}' in {group}; did you mean '{close}'?")
            out.append(_unmeasurable(gate, f"{group}.{key}", value))
            continue
        out.extend(_with(handler(gate, group, key, value, here), common))
    return out


def _misspelt_group(group: str, registry: CriteriaRegistry, where: str) -> None:
    """A group name one typo away from one testgate knows is a mistake, not documentation."""
    groups = sorted({g for g, _ in registry.shorthand_keys() if g != "*"} | set(_OWN_GROUPS))
    close = _close(group, groups + list(registry.groups()))
    if close:
        raise _problem(where, f"unknown criteria group '{group}'; did you mean '{close}'?")


def _with(crits: list[Criterion], common: dict[str, Any]) -> list[Criterion]:
    return [replace(c, **common) for c in crits] if common else crits


def problem(where: str, msg: str) -> ConfigError:
    """A configuration problem at key path *where*."""
    return _problem(where, msg)


def parse_criteria(
    gate: str, raw: Any, where: str, problems: list[str] | None = None
) -> list[Criterion]:
    """The criteria of one gate, from a mapping of named groups or a list of explicit ones.

    Every problem is collected: into *problems* when given (the criteria that read are
    returned), else into one :class:`ConfigError`.
    """
    crits: list[Criterion] = []
    collect = problems is not None
    problems = problems if problems is not None else []
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            here = f"{where}[{i}]"
            try:
                if not isinstance(item, dict) or "metric" not in item:
                    raise _problem(here, "a criterion in a list needs 'metric' and 'threshold'")
                label = str(item.get("name") or item["metric"])
                body = {k: v for k, v in item.items() if k != "name"}
                crits.extend(
                    replace(c, where=here, population=_population(label, c.metric))
                    for c in _explicit(gate, label, body, here)
                )
            except ConfigError as exc:
                problems.extend(exc.problems)
    elif isinstance(raw, dict):
        for group, gbody in raw.items():
            try:
                crits.extend(_group(gate, str(group), gbody, f"{where}.{group}"))
            except ConfigError as exc:
                problems.extend(exc.problems)
    else:
        problems.extend(_problem(where, "expected a mapping or a list of criteria").problems)
    if problems and not collect:
        raise ConfigError(problems[0], problems=problems, slug="gate-config")
    return crits


def parse_criterion_list(gate: str, name: str, body: Any, where: str) -> list[Criterion]:
    """A gate-level ``baseline_comparison`` block."""
    return _baseline_comparison(gate, name, body, where)


def simple(metric: str, default_op: str = "<=") -> Emit:
    """A shorthand handler: the value is a threshold on *metric* (for plugins)."""
    return _simple(metric, default_op)


def zero(metric: str) -> Emit:
    """A shorthand handler whose only meaning is "*metric* == 0" (for plugins)."""
    return _zero(metric)
