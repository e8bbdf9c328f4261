"""The gates, alerts and reports of a configuration, checked when it is loaded.

:func:`check_config` runs on the raw YAML data beside the schema (see
:func:`testgate.config.loader.load_config`), so that one ``testgate validate`` lists every
problem, each with its ``file:line``: a threshold that does not read, a shorthand key one typo
away from a known one, a metric name that no report can give (with the names the configured
steps' reports can give), an alert over an unknown metric, a report format that does not exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.gates.catalogue import (
    KIND_METRICS,
    OTHER_SOURCES,
    Source,
    by_source,
    is_known,
    kinds_of,
    suggest,
)
from testgate.gates.spec import collect_gates

if TYPE_CHECKING:
    from testgate.adapters.registry import AdapterRegistry

__all__ = ["Checked", "check_config"]

Found = tuple[str, str]


class Checked:
    """What :func:`check_config` found: problems (key path, message) and notes."""

    def __init__(self) -> None:
        self.problems: list[Found] = []
        self.notes: list[str] = []


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _split(problem: str) -> Found:
    key, sep, message = problem.partition(": ")
    return (key, message) if sep and " " not in key else ("", problem)


def _command(step: dict[str, Any]) -> str | None:
    run = step.get("run")
    if isinstance(run, list):
        return " ".join(str(x) for x in run)
    return run if isinstance(run, str) else None


def _reports(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """``(key path, report spec, command)`` of every report a step declares."""
    for i, stage in enumerate(_list(_dict(data.get("pipeline")).get("stages"))):
        for j, step in enumerate(_list(_dict(stage).get("steps"))):
            step = _dict(step)
            for k, rep in enumerate(_list(step.get("reports"))):
                spec = {"path": rep} if isinstance(rep, str) else _dict(rep)
                yield f"pipeline.stages.{i}.steps.{j}.reports.{k}", spec, _command(step)


def _producible(
    data: dict[str, Any], registry: AdapterRegistry, out: Checked
) -> tuple[set[str] | None, bool]:
    """The kinds of report the configured steps write (None: some cannot be told), and
    whether the configuration has steps at all. Unknown ``format:`` names are problems."""
    from testgate.adapters.registry import guess_format

    names = registry.names()
    kinds: set[str] = set()
    unknown_kind = False
    has_steps = False
    for key, spec, command in _reports(data):
        has_steps = True
        fmt = spec.get("format")
        if isinstance(fmt, str):
            if fmt not in names:
                close = difflib.get_close_matches(fmt, names, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                out.problems.append(
                    (
                        f"{key}.format",
                        f"unknown report format '{fmt}'; {hint}'testgate formats' lists them",
                    )
                )
                continue
            kinds.add(registry.get(fmt).kind)
            continue
        path = spec.get("path")
        guessed = guess_format(Path(path), command, names) if isinstance(path, str) else None
        if guessed is None:
            unknown_kind = True
        else:
            kinds.add(registry.get(guessed).kind)
    if any(_list(_dict(s).get("steps")) for s in _list(_dict(data.get("pipeline")).get("stages"))):
        has_steps = True
    return (None if unknown_kind else kinds), has_steps


def _can_give(kinds: set[str] | None) -> list[str]:
    """The metric names (patterns) the configured steps' reports can give."""
    shown = [
        m.pattern
        for kind, infos in KIND_METRICS.items()
        if kinds is None or kind in kinds
        for m in infos
    ]
    shown += [m.pattern for src in ("testgate run", "history") for m in OTHER_SOURCES[src]]
    return shown


def _compact(names: list[str]) -> str:
    """``tests.{total, passed}, coverage.line``: names grouped by all but their last segment."""
    groups: dict[str, list[str]] = {}
    for name in names:
        head, _, last = name.rpartition(".")
        groups.setdefault(head, []).append(last)
    return ", ".join(
        f"{head}.{lasts[0]}" if len(lasts) == 1 else f"{head}.{{{'|'.join(lasts)}}}"
        for head, lasts in groups.items()
    )


def _unknown_metric(metric: str, sources: list[Source], kinds: set[str] | None) -> str:
    close = suggest(metric, sources)
    hint = f"did you mean '{close}'? " if close else ""
    listed = _compact(_can_give(kinds))
    who = "the configured steps' reports and testgate" if kinds is not None else "reports"
    return (
        f"unknown metric '{metric}'; {hint}{who} can give: {listed} "
        "('testgate metrics' lists every name)"
    )


def _explicit_metrics(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(key path, metric)`` of every criterion written as ``{metric: ..., ...}``."""
    for name, gate in _dict(data.get("gates")).items():
        crits = _dict(gate).get("criteria")
        items = (
            crits.items()
            if isinstance(crits, dict)
            else enumerate(crits)
            if isinstance(crits, list)
            else ()
        )
        for k, body in items:
            metric = _dict(body).get("metric")
            if isinstance(metric, str) and metric:
                yield f"gates.{name}.criteria.{k}", metric


def _node(data: Any, key: str) -> Any:
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _check_alerts(data: dict[str, Any], sources: list[Source], out: Checked) -> None:
    alerts = _list(data.get("alerts"))
    if not alerts:
        return  # (importing the alerts imports the history store and SQLAlchemy: 0.3 s)
    from testgate.history.alerts import ALIASES, parse_condition

    for i, item in enumerate(alerts):
        cond = _dict(item).get("condition")
        if not isinstance(cond, str):
            continue
        key = f"alerts.{i}.condition"
        try:
            left, _op, right = parse_condition(cond)
        except ValueError as exc:
            out.problems.append((key, f"{cond!r}: {exc}"))
            continue
        names = dict.fromkeys(name for name, _ in (*left.metrics(), *right.metrics()))
        for name in names:
            if name in ALIASES or is_known(name, sources):
                continue
            close = suggest(name, sources) or difflib.get_close_matches(name, list(ALIASES), n=1)
            hint = close if isinstance(close, str) else (close[0] if close else None)
            did = f"did you mean '{hint}'? " if hint else ""
            out.problems.append(
                (
                    key,
                    f"unknown metric '{name}' in {cond!r}; {did}use a metric name "
                    f"('testgate metrics') or one of {', '.join(ALIASES)}",
                )
            )


def check_config(data: dict[str, Any], registry: AdapterRegistry) -> Checked:
    """Every problem of the gates, alerts and reports of the raw configuration *data*."""
    out = Checked()
    kinds, has_steps = _producible(data, registry, out)
    sources = by_source(registry)
    gates = data.get("gates")
    deployments = data.get("deployment_gates")
    spec, problems = collect_gates(
        gates if isinstance(gates, dict) else {},
        deployments if isinstance(deployments, dict) else {},
        data.get("quarantine") if isinstance(data.get("quarantine"), (list, dict)) else None,
    )
    out.problems.extend(_split(p) for p in problems)
    # explicit criteria by what was written (also those that did not read: a misspelt metric
    # explains a threshold whose unit cannot apply to it), then what the shorthand stands for
    named = [(f"{where}.metric", metric) for where, metric in _explicit_metrics(data)]
    named += [
        (c.where, c.metric)
        for gate in spec.gates.values()
        for c in gate.criteria
        if c.metric is not None and c.kind in ("threshold", "trend", "baseline")
    ]
    seen: set[str] = set()
    for key, metric in named:
        if "@" in metric or key in seen or f"{key}.metric" in seen:
            continue
        seen.add(key)
        if not is_known(metric, sources):
            out.problems.append((key, _unknown_metric(metric, sources, kinds)))
            continue
        wanted = kinds_of(metric, sources)
        if has_steps and kinds is not None and wanted and not wanted & kinds:
            out.notes.append(
                f"{key}: {metric} comes from a {' or '.join(sorted(wanted))} report, and no "
                "step's reports: is one (a summary made elsewhere can still give it to "
                "'testgate gate --summary')"
            )
    _check_alerts(data, sources, out)
    # a unit that "cannot apply" to a misspelt metric says nothing more than the misspelling
    unknown = {k.removesuffix(".metric") for k, m in out.problems if m.startswith("unknown metric")}
    out.problems = [
        (k, m)
        for k, m in out.problems
        if not (k.removesuffix(".threshold") in unknown and "but metric" in m)
    ]
    return out
