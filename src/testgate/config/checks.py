"""Cross-reference checks of a configuration, run on the raw YAML data.

They run on the raw data rather than on the validated model so that they still report when
the schema found other problems: one ``testgate validate`` then shows everything at once.
Every check is defensive about types (the schema reports wrong types; these skip them).
Each problem is ``(dotted key path, message)``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["ALL", "MATRIX_REF", "check_references"]

#: ``depends_on: [ALL]`` means every other stage
ALL = "ALL"

#: ``${{ matrix.KEY }}`` in run, env, cwd, name and reports
MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")

Found = tuple[str, str]


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _names(v: Any) -> list[tuple[str, str]]:
    """(suffix, name) for a name or a list of names: ``depends_on: a`` or ``[a, b]``."""
    if isinstance(v, str):
        return [("", v)]
    return [(f".{i}", x) for i, x in enumerate(_list(v)) if isinstance(x, str)]


def _stages(data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    stages = _list(_dict(data.get("pipeline")).get("stages"))
    return [(i, s) for i, s in enumerate(stages) if isinstance(s, dict)]


def _check_stage_graph(data: dict[str, Any]) -> Iterator[Found]:
    stages = _stages(data)
    first: dict[str, int] = {}
    for i, stage in stages:
        name = stage.get("name")
        if not isinstance(name, str):
            continue
        if name == ALL:
            yield (
                f"pipeline.stages.{i}.name",
                f"'{ALL}' is reserved (depends_on: [{ALL}] means every other stage); "
                "expected another stage name",
            )
        elif name in first:
            yield (
                f"pipeline.stages.{i}.name",
                f"duplicate stage name '{name}' (also stage {first[name]}); "
                "expected unique stage names",
            )
        else:
            first[name] = i
    known = list(first)
    graph: dict[str, list[str]] = {}
    dep_key: dict[str, str] = {}
    for i, stage in stages:
        name = stage.get("name")
        deps: list[str] = []
        for suffix, dep in _names(stage.get("depends_on")):
            key = f"pipeline.stages.{i}.depends_on{suffix}"
            if dep == ALL:
                deps.extend(k for k in known if k != name)
            elif dep == name:
                yield key, f"stage '{name}' depends on itself; expected another stage"
            elif dep not in first:
                choices = ", ".join(known) or "(none)"
                yield (
                    key,
                    f"unknown stage '{dep}'; {_suggest(dep, known)}"
                    f"expected one of: {choices} or {ALL}",
                )
            else:
                deps.append(dep)
        if isinstance(name, str) and name in first and first[name] == i:
            graph[name] = deps
            dep_key[name] = f"pipeline.stages.{i}.depends_on"
    cycle = _find_cycle(graph)
    if cycle:
        uses_all = any(dep == ALL for i, s in stages for _, dep in _names(s.get("depends_on")))
        note = f" ({ALL} means every other stage)" if uses_all else ""
        yield (
            dep_key[cycle[0]],
            f"dependency cycle: {' -> '.join(cycle)}{note}; expected stages to form a DAG",
        )


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle of *graph* as ``[a, b, a]``, or None (iterative DFS, in declaration order)."""
    color: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in graph:
        if root in color:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        color[root] = 1
        while stack:
            node, idx = stack[-1]
            deps = graph.get(node, [])
            if idx < len(deps):
                stack[-1] = (node, idx + 1)
                nxt = deps[idx]
                if color.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in color and nxt in graph:
                    color[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                color[node] = 2
                stack.pop()
                path.pop()
    return None


def _matrix_refs(step: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(key suffix, matrix key) for every ``${{ matrix.KEY }}`` in the step."""
    fields: list[tuple[str, Any]] = [("name", step.get("name")), ("cwd", step.get("cwd"))]
    run = step.get("run")
    if isinstance(run, list):
        fields += [(f"run.{i}", x) for i, x in enumerate(run)]
    else:
        fields.append(("run", run))
    fields += [(f"env.{k}", v) for k, v in _dict(step.get("env")).items()]
    for i, r in enumerate(_list(step.get("reports"))):
        fields.append((f"reports.{i}", r if isinstance(r, str) else _dict(r).get("path")))
    for suffix, value in fields:
        if isinstance(value, str):
            for m in MATRIX_REF.finditer(value):
                yield suffix, m.group(1)


def _check_steps(data: dict[str, Any]) -> Iterator[Found]:
    services = list(_dict(data.get("services")))
    capacity = {k: v for k, v in _dict(data.get("resources")).items() if isinstance(v, int)}
    for i, stage in _stages(data):
        seen: dict[str, int] = {}
        for j, step in enumerate(_list(stage.get("steps"))):
            if not isinstance(step, dict):
                continue
            at = f"pipeline.stages.{i}.steps.{j}"
            name = step.get("name")
            if isinstance(name, str):
                if name in seen:
                    yield (
                        f"{at}.name",
                        f"duplicate step name '{name}' in stage '{stage.get('name')}' "
                        f"(also step {seen[name]}); expected unique step names within a stage",
                    )
                else:
                    seen[name] = j
            for suffix, svc in _names(step.get("services")):
                if svc not in services:
                    declared = (
                        f"expected one of the services: {', '.join(services)}"
                        if services
                        else "expected a service declared under the top-level 'services:'"
                    )
                    yield (
                        f"{at}.services{suffix}",
                        f"unknown service '{svc}'; " + _suggest(svc, services) + declared,
                    )
            yield from _check_resources(at, step.get("resources"), capacity)
            yield from _check_matrix(at, step)


def _check_resources(at: str, raw: Any, capacity: dict[str, int]) -> Iterator[Found]:
    if isinstance(raw, list):
        wanted = [(f".{i}", r, 1) for i, r in enumerate(raw) if isinstance(r, str)]
    else:
        wanted = [(f".{k}", k, n) for k, n in _dict(raw).items()]
    names = list(capacity)
    for suffix, res, count in wanted:
        key = f"{at}.resources{suffix}"
        if res not in capacity:
            declared = (
                f"expected one of the resources: {', '.join(names)}"
                if names
                else "expected a resource declared under the top-level 'resources:' "
                f"(e.g. {res}: 2)"
            )
            yield key, f"unknown resource '{res}'; {_suggest(res, names)}{declared}"
        elif isinstance(count, int) and count > capacity[res]:
            yield (
                key,
                f"needs {count} of '{res}' but its capacity is {capacity[res]}; "
                f"expected at most {capacity[res]} (the step could never start)",
            )


def _check_matrix(at: str, step: dict[str, Any]) -> Iterator[Found]:
    matrix = _dict(step.get("matrix"))
    for k, values in matrix.items():
        if isinstance(values, list) and not values:
            yield f"{at}.matrix.{k}", "got an empty list; expected at least one value"
    for suffix, ref in _matrix_refs(step):
        if ref not in matrix:
            declared = f"declared: {', '.join(matrix)}" if matrix else "the step has no 'matrix:'"
            yield (
                f"{at}.{suffix}",
                f"'${{{{ matrix.{ref} }}}}' names an undeclared matrix key '{ref}'; "
                f"{_suggest(ref, list(matrix))}expected a key of the step's matrix ({declared})",
            )


def check_references(data: dict[str, Any]) -> list[Found]:
    """Every cross-reference problem in the raw configuration *data*."""
    return [*_check_stage_graph(data), *_check_steps(data)]
