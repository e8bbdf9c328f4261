"""Turn a loaded configuration into a DAG of concrete steps.

Matrix steps are expanded (one step per combination, ``${{ matrix.x }}`` substituted), stage
``depends_on`` becomes step dependencies (``ALL`` means every other stage), ``parallel: false``
chains a stage's steps, ``when`` conditions are evaluated, and ``--stage``/``--step`` select
what runs. Dependencies on stages that were not selected do not block; ordering and failure
propagation still follow the full stage graph between the selected stages.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from testgate.config.expr import ExprContext
    from testgate.config.loader import LoadedConfig
    from testgate.config.schema import StepSpec

__all__ = [
    "ALL",
    "Plan",
    "PlannedStep",
    "ReportPattern",
    "build_plan",
    "shard_file_list",
    "step_key",
    "substitute_shard",
    "uses_shard",
]

#: ``depends_on: [ALL]`` means every other stage.
ALL = "ALL"

_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")
_SHARD_REF = re.compile(r"\$\{\{\s*shard\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")
_SHARD_KEYS = ("index", "total", "files")


def step_key(stage: str, name: str) -> str:
    """A step's identity in a run: ``stage/name``."""
    return f"{stage}/{name}"


@dataclass(slots=True)
class ReportPattern:
    """A report a step promises: an absolute path or glob, as written, and a forced format."""

    pattern: str
    written: str
    format: str | None = None


@dataclass(slots=True)
class PlannedStep:
    """One concrete step of the DAG (a matrix step expands into several)."""

    stage: str
    name: str
    #: position in the configuration (after expansion); the tie-breaker of every ordering
    index: int
    command: str | list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    retries: int = 0
    reports: list[ReportPattern] = field(default_factory=list)
    resources: dict[str, int] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    allow_failure: bool = False
    #: delete the declared reports before the step runs
    clean_reports: bool = True
    #: run once more when every failure is of these triage categories (``retry_on:``)
    retry_on: list[str] = field(default_factory=list)
    #: keys of the steps that must finish before this one starts
    deps: list[str] = field(default_factory=list)
    #: the previous step of a ``parallel: false`` stage; its failure skips this one
    previous: str | None = None
    #: set when planning already knows the step will not run (a false ``when``)
    skip_reason: str | None = None
    #: selection: globs of the files the step depends on, and whether it always runs
    paths: list[str] = field(default_factory=list)
    unskippable: bool = False
    #: the step cache: globs of its inputs (empty: the default inputs) and whether it caches
    inputs: list[str] = field(default_factory=list)
    cache: bool = True
    #: sharding: run in every shard, not only in shard 1 (``every_shard:``)
    every_shard: bool = False
    #: sharding: globs of the test files ``${{ shard.files }}`` splits (``shard_files:``)
    shard_files: list[str] = field(default_factory=list)
    #: read report files outside the configuration's root (``allow_outside_reports:``)
    allow_outside_reports: bool = False
    #: the plan testgate's pytest plugin follows in this step (``deselect``, ``order``,
    #: ``shard``; see :mod:`testgate.pytest_plugin`); the runner writes it to a file and
    #: names it in ``TESTGATE_PYTEST_PLAN``. None: the plugin stays inert.
    pytest_plan: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return step_key(self.stage, self.name)

    @property
    def display_command(self) -> str:
        if isinstance(self.command, str):
            return self.command
        import shlex

        return shlex.join(self.command)


@dataclass(slots=True)
class Plan:
    """The steps to run, in configuration order, and the selected stages' dependencies."""

    steps: list[PlannedStep]
    #: selected stage -> the selected stages it depends on, directly or through others
    stage_deps: dict[str, list[str]]
    #: resource name -> capacity
    resources: dict[str, int]

    def by_key(self) -> dict[str, PlannedStep]:
        return {s.key: s for s in self.steps}


def _where(loaded: LoadedConfig, dotted: str) -> str:
    return f"{loaded.path}:{loaded.line_of(dotted)}"


def _value_text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _substituter(values: dict[str, str], where: str, step: str) -> Callable[[str], str]:
    def sub(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            if key not in values:
                known = ", ".join(sorted(values)) or "none (the step has no matrix)"
                raise ConfigError(
                    f"{where}: step '{step}': '{m.group(0)}' names no matrix value; "
                    f"its matrix has: {known}",
                    slug="config-matrix",
                )
            return values[key]

        return _MATRIX_REF.sub(one, text)

    return sub


def _lookup(values: dict[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda m: values.get(m.group(1), m.group(0))


def _expand(spec: StepSpec) -> list[tuple[str, dict[str, str]]]:
    """(name, matrix values) for each combination, in the order the values are written."""
    if not spec.matrix:
        return [(spec.name, {})]
    keys = list(spec.matrix)
    out: list[tuple[str, dict[str, str]]] = []
    for combo in itertools.product(*(spec.matrix[k] for k in keys)):
        values = {k: _value_text(v) for k, v in zip(keys, combo, strict=True)}
        if _MATRIX_REF.search(spec.name):
            name = _MATRIX_REF.sub(_lookup(values), spec.name)
        else:
            name = f"{spec.name} ({', '.join(f'{k}={v}' for k, v in values.items())})"
        out.append((name, values))
    return out


def _confine_reports(step: PlannedStep, loaded: LoadedConfig, key: str) -> None:
    """Refuse a report pattern that names files outside *root* (``..`` or an absolute path
    elsewhere): a step's reports are the repository's, unless ``allow_outside_reports: true``.
    Symlinks that lead out are refused when the reports are read (the runner)."""
    root = loaded.root
    top = os.path.normpath(root)
    for i, rp in enumerate(step.reports):
        full = os.path.normpath(rp.pattern)
        if full != top and not full.startswith(top.rstrip(os.sep) + os.sep):
            dotted = f"{key}.reports.{i}"
            raise ConfigError(
                f"{_where(loaded, dotted)}: {dotted}: '{rp.written}' is outside the "
                f"configuration's folder ({root}); expected a path under it, or set "
                "allow_outside_reports: true",
                slug="report-outside-root",
            )


def _resolve(root: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else root / p


def _stage_closure(
    loaded: LoadedConfig, names: list[str], direct: dict[str, list[str]]
) -> dict[str, set[str]]:
    """Every stage a stage depends on, directly or through others; rejects cycles."""
    closure: dict[str, set[str]] = {}
    visiting: list[str] = []

    def visit(name: str) -> set[str]:
        if name in closure:
            return closure[name]
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(
                f"{_where(loaded, 'pipeline.stages')}: stages depend on each other in a cycle: "
                f"{cycle}; remove one of these depends_on entries",
                slug="config-cycle",
            )
        visiting.append(name)
        found: set[str] = set()
        for dep in direct[name]:
            found.add(dep)
            found |= visit(dep)
        visiting.pop()
        closure[name] = found
        return found

    for n in names:
        visit(n)
    return closure


def _matches(step: PlannedStep, base: str, wanted: str) -> bool:
    return any(fnmatch.fnmatchcase(c, wanted) for c in (step.name, base, step.key))


def build_plan(
    loaded: LoadedConfig,
    *,
    stages: Sequence[str] = (),
    steps: Sequence[str] = (),
    context: Callable[[], ExprContext] | None = None,
) -> Plan:
    """The DAG for *loaded*, restricted to *stages* and *steps* when given (globs allowed).

    *context* builds the :class:`ExprContext` for ``when``; it is called only if some stage or
    step has a condition (finding the changed files costs a few git calls).
    """
    cfg = loaded.config
    root = loaded.root
    stage_specs = cfg.pipeline.stages
    names = [s.name for s in stage_specs]
    seen: set[str] = set()
    for i, s in enumerate(stage_specs):
        if s.name in seen:
            raise ConfigError(
                f"{_where(loaded, f'pipeline.stages.{i}.name')}: stage name '{s.name}' is used "
                "twice; stage names must be unique",
                slug="config-duplicate",
            )
        seen.add(s.name)

    direct: dict[str, list[str]] = {}
    for i, s in enumerate(stage_specs):
        deps: list[str] = []
        for d in s.depends_on:
            if d == ALL:
                deps.extend(n for n in names if n != s.name)
            elif d not in seen:
                raise ConfigError(
                    f"{_where(loaded, f'pipeline.stages.{i}.depends_on')}: stage '{s.name}' "
                    f"depends on '{d}', which is no stage; stages are: {', '.join(names)} "
                    f"(or {ALL})",
                    slug="config-depends-on",
                )
            elif d == s.name:
                raise ConfigError(
                    f"{_where(loaded, f'pipeline.stages.{i}.depends_on')}: stage '{s.name}' "
                    "depends on itself",
                    slug="config-depends-on",
                )
            else:
                deps.append(d)
        direct[s.name] = list(dict.fromkeys(deps))
    closure = _stage_closure(loaded, names, direct)

    made: list[ExprContext] = []

    def holds(text: str) -> bool:
        from testgate.config.expr import compile_expr

        if not made:
            made.append(context() if context is not None else _empty_context())
        return compile_expr(text).evaluate(made[0])

    planned: list[PlannedStep] = []
    bases: dict[str, str] = {}
    index = 0
    for si, stage in enumerate(stage_specs):
        stage_skip: str | None = None
        if stage.condition and not holds(stage.condition):
            stage_skip = f"when: {stage.condition} is false"
        keys: set[str] = set()
        for pi, spec in enumerate(stage.steps):
            where = _where(loaded, f"pipeline.stages.{si}.steps.{pi}")
            for name, values in _expand(spec):
                sub = _substituter(values, where, name)
                step = PlannedStep(
                    stage=stage.name,
                    name=name,
                    index=index,
                    command=sub(spec.run)
                    if isinstance(spec.run, str)
                    else [sub(a) for a in spec.run],
                    cwd=_resolve(root, sub(spec.cwd)) if spec.cwd else root,
                    env={k: sub(v) for k, v in spec.env.items()},
                    timeout=spec.timeout,
                    retries=spec.retries,
                    reports=[
                        ReportPattern(str(_resolve(root, sub(r.path))), sub(r.path), r.format)
                        for r in spec.reports
                    ],
                    resources=dict(spec.resources),
                    services=list(spec.services),
                    allow_failure=spec.allow_failure,
                    clean_reports=spec.clean_reports,
                    paths=[sub(p) for p in spec.paths],
                    unskippable=spec.unskippable,
                    inputs=[sub(p) for p in spec.inputs],
                    cache=spec.cache,
                    every_shard=spec.every_shard,
                    shard_files=[sub(g) for g in spec.shard_files],
                    retry_on=list(spec.retry_on),
                    allow_outside_reports=cfg.allow_outside_reports,
                )
                if not cfg.allow_outside_reports:
                    _confine_reports(step, loaded, f"pipeline.stages.{si}.steps.{pi}")
                if step.key in keys:
                    raise ConfigError(
                        f"{where}: step name '{name}' is used twice in stage '{stage.name}'; "
                        "step names must be unique within a stage",
                        slug="config-duplicate",
                    )
                keys.add(step.key)
                for res, count in step.resources.items():
                    cap = cfg.resources.get(res)
                    if cap is None:
                        known = ", ".join(sorted(cfg.resources)) or "none declared"
                        raise ConfigError(
                            f"{where}: step '{name}' needs resource '{res}', which is not "
                            f"declared under the top-level 'resources' (declared: {known})",
                            slug="config-resource",
                        )
                    if count > cap:
                        raise ConfigError(
                            f"{where}: step '{name}' needs {count} of resource '{res}', but "
                            f"only {cap} exist; it could never start",
                            slug="config-resource",
                        )
                for svc in step.services:
                    if svc not in cfg.services:
                        known = ", ".join(sorted(cfg.services)) or "none declared"
                        raise ConfigError(
                            f"{where}: step '{name}' needs service '{svc}', which is not "
                            f"declared under the top-level 'services' (declared: {known})",
                            slug="config-service",
                        )
                if stage_skip:
                    step.skip_reason = stage_skip
                elif spec.when and not holds(spec.when):
                    step.skip_reason = f"when: {spec.when} is false"
                planned.append(step)
                bases[step.key] = spec.name
                index += 1

    selected = _select(loaded, planned, bases, stages, steps)
    # a container service with no runtime to run it is refused before anything starts
    from testgate.pipeline.services import require_container_runtime

    require_container_runtime(
        cfg.services,
        (svc for st in selected if st.skip_reason is None for svc in st.services),
        lambda name: _where(loaded, f"services.{name}.image"),
    )
    chosen_stages = {s.stage for s in selected}
    stage_deps = {
        name: [d for d in names if d in closure[name] and d in chosen_stages]
        for name in names
        if name in chosen_stages
    }
    by_stage: dict[str, list[PlannedStep]] = {}
    for p in selected:
        by_stage.setdefault(p.stage, []).append(p)
    sequential = {st.name for st in stage_specs if not st.parallel}
    for stage_name, members in by_stage.items():
        upstream = [p.key for d in stage_deps[stage_name] for p in by_stage[d]]
        prev: PlannedStep | None = None
        for p in members:
            p.deps = list(upstream)
            if stage_name in sequential and prev is not None:
                p.deps.append(prev.key)
                p.previous = prev.key
            prev = p
    return Plan(steps=selected, stage_deps=stage_deps, resources=dict(cfg.resources))


def _select(
    loaded: LoadedConfig,
    planned: list[PlannedStep],
    bases: dict[str, str],
    stages: Sequence[str],
    steps: Sequence[str],
) -> list[PlannedStep]:
    if not stages and not steps:
        return planned
    stage_names = list(dict.fromkeys(s.stage for s in planned))
    for wanted in stages:
        if not any(fnmatch.fnmatchcase(n, wanted) for n in stage_names):
            raise UsageError(
                f"--stage {wanted}: no such stage in {loaded.path}; stages are: "
                f"{', '.join(stage_names) or 'none'}",
                slug="unknown-stage",
            )
    for wanted in steps:
        if not any(_matches(s, bases[s.key], wanted) for s in planned):
            raise UsageError(
                f"--step {wanted}: no such step in {loaded.path}; steps are: "
                f"{', '.join(s.key for s in planned) or 'none'}",
                slug="unknown-step",
            )
    return [
        s
        for s in planned
        if any(fnmatch.fnmatchcase(s.stage, w) for w in stages)
        or any(_matches(s, bases[s.key], w) for w in steps)
    ]


def _empty_context() -> ExprContext:
    from testgate.config.expr import ExprContext

    return ExprContext()


# ------------------------------------------------------------------------------ sharding


def _step_texts(step: PlannedStep) -> list[str]:
    cmd = [step.command] if isinstance(step.command, str) else list(step.command)
    return [*cmd, *step.env.values(), *(r.written for r in step.reports)]


def uses_shard(step: PlannedStep, key: str | None = None) -> bool:
    """Whether the step's command, env or reports use ``${{ shard.KEY }}`` (any key if None)."""
    return any(
        key is None or m.group(1) == key for t in _step_texts(step) for m in _SHARD_REF.finditer(t)
    )


def shard_file_list(step: PlannedStep) -> list[str]:
    """The files the step's ``shard_files:`` globs match, relative to its cwd, sorted."""
    import glob

    found: set[str] = set()
    for pattern in step.shard_files:
        for m in glob.glob(pattern, root_dir=step.cwd, recursive=True):
            if (step.cwd / m).is_file():
                found.add(Path(m).as_posix())
    return sorted(found)


def substitute_shard(step: PlannedStep, index: int, total: int, files: Sequence[str]) -> None:
    """Replace ``${{ shard.index }}``, ``${{ shard.total }}`` and ``${{ shard.files }}`` (the
    files, shell-quoted and space-separated in a shell command; one argument each in an argv)
    in the step's command, env and report paths. An unknown ``shard.`` key is a config error."""
    import shlex

    def text_sub(text: str, quote: bool) -> str:
        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            if key == "index":
                return str(index)
            if key == "total":
                return str(total)
            if key == "files":
                return " ".join(shlex.quote(f) if quote else f for f in files)
            raise ConfigError(
                f"step '{step.key}': '{m.group(0)}' is no shard value; use "
                + ", ".join(f"${{{{ shard.{k} }}}}" for k in _SHARD_KEYS),
                slug="config-shard",
            )

        return _SHARD_REF.sub(one, text)

    if isinstance(step.command, str):
        step.command = text_sub(step.command, True)
    else:
        argv: list[str] = []
        for arg in step.command:
            if _SHARD_REF.fullmatch(arg.strip()) and "files" in arg:
                argv.extend(files)
            else:
                argv.append(text_sub(arg, False))
        step.command = argv
    step.env = {k: text_sub(v, False) for k, v in step.env.items()}
    for r in step.reports:
        r.written = text_sub(r.written, False)
        r.pattern = text_sub(r.pattern, False)
