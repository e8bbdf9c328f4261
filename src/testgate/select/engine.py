"""``select``: what to run for a change, and why.

1. **The change.** ``git merge-base HEAD BASE`` is the base; the *anchor* is the newest commit at
   or before it that has a recorded test map (else the base itself). What changed is
   ``git diff ANCHOR`` against the head (the working tree by default: uncommitted and untracked
   files count), renames detected.
2. **Full runs.** Nothing to go on (not a git repository, an unknown base ref, a step that
   records a map but has none yet), a safety file changed (:data:`~testgate.select.rules.
   FULL_RUN_FILES`, ``selection.always_run_on``), the default branch, or ``full_run_every``
   runs since the last full one: everything runs, and ``reason`` says why.
3. **Steps.** A step runs when a changed file matches its ``paths:``, or (without ``paths:``)
   lies in its directory and no step with a more specific directory holds it; for a Python
   step, when a changed Python file is imported, directly or transitively, by its tests.
4. **Tests.** In a pytest step with a map, a test runs when it ran a function whose body
   changed, ran anything in a file whose module-level code changed, or its test file imports a
   module whose module-level code changed; tests that are new, failed last time or are
   unskippable always run. jest gets ``--findRelatedTests``; node and go run the changed test
   files' tests when only test files changed.
5. **Order.** Riskiest first (:mod:`testgate.select.risk`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from testgate.select import git
from testgate.select.blocks import FileBlocks, parse_file
from testgate.select.graph import ImportGraph, file_imports
from testgate.select.risk import History, risk_of, sort_key
from testgate.select.rules import FULL_RUN_FILES, glob_match, matches_any, owner_depth
from testgate.select.runners import (
    GO_TEST_FILE,
    JS_SOURCE,
    NODE_TEST_FILE,
    narrow_go,
    narrow_jest,
    narrow_node,
    runner_of,
)
from testgate.select.testmap import TestMap, merge_maps, nodeid_to_test_id

if TYPE_CHECKING:
    from testgate.config.schema import SelectionSpec
    from testgate.history.store import HistoryStore

__all__ = [
    "SelectOptions",
    "Selection",
    "StepChoice",
    "StepInfo",
    "TestChoice",
    "is_coverage_data",
    "select",
]

#: how far back (commits before the base) a recorded map is looked for
MAP_LOOKBACK = 50

_PY_TEST_FILE = ("test_*.py", "*_test.py")


def is_coverage_data(pattern: str, fmt: str | None = None) -> bool:
    """Whether a ``reports:`` entry names a coverage.py data file (``.coverage``)."""
    if fmt is not None:
        return fmt == "coveragepy-data"
    name = PurePosixPath(pattern).name
    return name == ".coverage" or name.startswith(".coverage.")


@dataclass(slots=True)
class StepInfo:
    """What selection needs of one planned step (matrix steps expanded)."""

    key: str
    command: str | list[str]
    #: the step's directory, relative to the configuration's directory ("" for it)
    cwd: str = ""
    paths: list[str] = field(default_factory=list)
    #: the step's reports list a coverage.py data file: a test map is expected
    maps_expected: bool = False
    unskippable: bool = False

    @property
    def runner(self) -> str:
        return runner_of(self.command)


@dataclass(slots=True)
class SelectOptions:
    #: the base ref; None: the upstream branch, else origin's default branch, else main/master
    base: str | None = None
    #: the head ref (its files are read from a temporary worktree); None: the working tree
    head: str | None = None
    #: let the history add tests (failed last time) and order them; the recall audit turns
    #: it off so that it measures what the change alone selects
    use_history: bool = True


@dataclass(slots=True)
class TestChoice:
    """One test to run."""

    __test__ = False

    #: the pytest node id (relative to the step's rootdir)
    id: str
    step: str
    why: str
    risk: float
    test_id: str = ""
    directness: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "step": self.step, "why": self.why, "risk": self.risk}


@dataclass(slots=True)
class StepChoice:
    """One step: whether it runs, whole or narrowed, and why."""

    key: str
    runner: str
    run: bool
    why: str
    #: every test of the step runs
    whole: bool = True
    #: the narrowed command (jest, node, go), when narrowed
    command: str | list[str] | None = None
    #: pytest: node ids not to run, and the run order
    deselect: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    #: pytest: the tests of the map that do not run, with why (for --explain)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: the cache key's inputs, filled by the workflow (for --explain)
    key_inputs: list[str] = field(default_factory=list)
    cache_key: str | None = None
    #: the tests chosen in this step (pytest with a map), unordered
    chosen: list[TestChoice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "step": self.key,
            "runner": self.runner,
            "run": self.run,
            "whole": self.whole if self.run else False,
            "why": self.why,
        }
        if self.command is not None:
            d["command"] = self.command
        if self.runner == "pytest" and self.run and not self.whole:
            d["deselected"] = len(self.deselect)
        if self.cache_key is not None:
            d["cache_key"] = self.cache_key
        return d


@dataclass(slots=True)
class Selection:
    """The answer of :func:`select`."""

    full: bool
    reason: str
    steps: list[StepChoice] = field(default_factory=list)
    #: the tests to run (pytest steps narrowed by the map), in run order
    tests: list[TestChoice] = field(default_factory=list)
    base: str | None = None
    merge_base: str | None = None
    #: the commit the changes are measured from (a mapped commit at or before the merge-base)
    anchor: str | None = None
    changed: list[git.Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "reason": self.reason,
            "base": self.base,
            "merge_base": self.merge_base,
            "anchor": self.anchor,
            "changed": [c.path for c in self.changed],
            "steps": [s.to_dict() for s in self.steps],
            "tests": [t.to_dict() for t in self.tests],
            "notes": list(self.notes),
        }

    def step(self, key: str) -> StepChoice | None:
        return next((s for s in self.steps if s.key == key), None)


class _Full(Exception):
    """Raised inside the decision to say: run everything, for this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------------ select


@dataclass
class _Ctx:
    root: Path
    top: Path
    spec: SelectionSpec
    steps: list[StepInfo]
    changes: list[git.Change]
    maps: dict[str, TestMap]
    history: History
    cache_dir: Path | None
    notes: list[str]
    _graphs: dict[tuple[str, ...], ImportGraph] = field(default_factory=dict)
    _parsed: dict[str, FileBlocks | None] = field(default_factory=dict)

    def graph(self, step: StepInfo) -> ImportGraph:
        cwd = self.root / step.cwd
        roots = tuple(
            dict.fromkeys(str(p) for p in (cwd, cwd / "src", self.root, self.root / "src"))
        )
        if roots not in self._graphs:
            self._graphs[roots] = ImportGraph([Path(r) for r in roots], cache_dir=self.cache_dir)
        return self._graphs[roots]

    def parsed(self, rel: str) -> FileBlocks | None:
        if rel not in self._parsed:
            self._parsed[rel] = parse_file(self.root / rel)
        return self._parsed[rel]


def _rel_to_root(change: git.Change, top: Path, root: Path) -> git.Change | None:
    def rel(p: str) -> str | None:
        try:
            return (top / p).relative_to(root).as_posix()
        except ValueError:
            return None

    new = rel(change.path)
    if new is None:
        return None
    old = rel(change.old) if change.old else None
    return git.Change(new, change.status, old)


def select(
    *,
    root: Path,
    config_name: str,
    spec: SelectionSpec,
    steps: list[StepInfo],
    options: SelectOptions | None = None,
    store: HistoryStore | None = None,
    store_problem: str | None = None,
    cache_dir: Path | None = None,
) -> Selection:
    """Decide what to run (see the module docstring). Never raises for missing data: it
    selects everything and says why."""
    options = options or SelectOptions()
    notes: list[str] = []
    sel = Selection(full=True, reason="", base=options.base)
    try:
        if options.head is None:
            _decide(
                sel, root, config_name, spec, steps, options, store, store_problem, cache_dir, notes
            )
        else:
            # another commit's files: decide in a temporary worktree checked out at the head
            try:
                top = git.repo_top(root)
                git.verify_commit(top, options.head)
            except git.GitError as exc:
                raise _Full(str(exc)) from None
            sub = root.resolve().relative_to(top.resolve())
            at_head = SelectOptions(options.base, None, options.use_history)
            with git.worktree(top, options.head) as wt:
                _decide(
                    sel,
                    wt / sub,
                    config_name,
                    spec,
                    steps,
                    at_head,
                    store,
                    store_problem,
                    None,
                    notes,
                )
    except _Full as full:
        sel.full = True
        sel.reason = full.reason
        sel.tests = []
        sel.steps = [StepChoice(s.key, s.runner, True, f"full run: {full.reason}") for s in steps]
    sel.notes = notes
    return sel


def _decide(
    sel: Selection,
    root: Path,
    config_name: str,
    spec: SelectionSpec,
    steps: list[StepInfo],
    options: SelectOptions,
    store: HistoryStore | None,
    store_problem: str | None,
    cache_dir: Path | None,
    notes: list[str],
) -> None:
    try:
        top = git.repo_top(root)
    except git.GitError as exc:
        raise _Full(f"no change to go on: {exc}") from None
    base = options.base
    if base is None:
        base = _default_base(top)
        if base is None:
            raise _Full("no base to compare with (no upstream, no main or master); pass --base")
    sel.base = base
    try:
        mb = git.merge_base(top, base)
    except git.GitError as exc:
        raise _Full(str(exc)) from None
    sel.merge_base = mb
    branch = git.current_branch(top) if options.head is None else None
    default = spec.default_branch or git.default_branch(top)
    if spec.full_run_on_default_branch and branch is not None and branch == default:
        raise _Full(f"on the default branch '{branch}' everything runs")

    history = History()
    maps: dict[str, TestMap] = {}
    anchor = mb
    expected = [s for s in steps if s.maps_expected and s.runner == "pytest"]
    if store is not None:
        from testgate.history.testmaps import load_maps
        from testgate.select.risk import load_history

        if options.use_history:
            if spec.full_run_every:
                _check_every(store, spec.full_run_every)
            history = load_history(store, branch)
        if expected:
            ancestors = git.first_parents(top, mb, MAP_LOOKBACK)
            rows = load_maps(store, ancestors)
            have = {r.commit for r in rows}
            anchor = next((c for c in ancestors if c in have), mb)
            by_step: dict[str, list[TestMap]] = {}
            for r in rows:
                if r.commit == anchor:
                    by_step.setdefault(r.step, []).append(
                        TestMap.from_json(r.json_bytes(), source=f"test map of {r.step}")
                    )
            maps = {k: merge_maps(v) for k, v in by_step.items()}
    missing = [s.key for s in expected if s.key not in maps]
    if missing:
        why = (
            store_problem
            or f"no test map recorded at or up to {MAP_LOOKBACK} commits before {mb[:12]}"
        )
        raise _Full(
            f"no test map yet for {', '.join(missing)} ({why}); record one with a full "
            "'testgate run' whose coverage data has per-test contexts"
        )
    sel.anchor = anchor
    changes = []
    for c in git.changes_since(top, anchor, options.head):
        rc = _rel_to_root(c, top, root)
        if rc is None:
            notes.append(f"{c.path}: outside {root}, not considered")
        else:
            changes.append(rc)
    sel.changed = changes
    for c in changes:
        for path in filter(None, (c.path, c.old)):
            hit = matches_any(path, (config_name, *FULL_RUN_FILES, *spec.always_run_on))
            if hit is not None:
                raise _Full(f"{path} changed (matches '{hit}': a change to it can affect any test)")
    ctx = _Ctx(root, top, spec, steps, changes, maps, history, cache_dir, notes)
    relevant = [c for c in changes if matches_any(c.path, spec.ignore) is None]
    ignored = len(changes) - len(relevant)
    for step in steps:
        sel.steps.append(_step(ctx, step, relevant))
    sel.full = False
    n_run = sum(1 for s in sel.steps if s.run)
    sel.reason = (
        f"{len(changes)} changed file(s) since {anchor[:12]}"
        + (f" ({ignored} ignored)" if ignored else "")
        + f": {n_run} of {len(steps)} step(s) run"
    )
    tests = [t for choice in sel.steps for t in choice.chosen]
    tests.sort(key=lambda t: sort_key(history, t.test_id, t.directness))
    sel.tests = tests
    for choice in sel.steps:
        if choice.runner == "pytest" and choice.run:
            mine = [t.id for t in tests if t.step == choice.key]
            choice.order = mine


def _default_base(top: Path) -> str | None:
    for ref in ("@{upstream}",):
        try:
            git._git(top, "rev-parse", "--verify", "--quiet", ref)
            return ref
        except git.GitError:
            pass
    name = git.default_branch(top)
    if name is None:
        return None
    for ref in (f"origin/{name}", name):
        try:
            git._git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            return ref
        except git.GitError:
            continue
    return None


def _check_every(store: HistoryStore, every: int) -> None:
    """Raise :class:`_Full` when the last ``every - 1`` recorded runs were all selections."""
    recent = store.runs(limit=every - 1) if every > 1 else []
    if every == 1 or (
        len(recent) == every - 1
        and all(r.metrics.get("selection.full", 1.0) == 0.0 for r in recent)
    ):
        raise _Full(
            f"the last {every - 1} recorded run(s) were selections (selection.full_run_every: "
            f"{every})"
        )


def _owned(ctx: _Ctx, step: StepInfo, files: Iterable[git.Change]) -> list[str]:
    """The changed files that belong to *step*: matching ``paths:`` when it has them, else in
    its directory with no more specific step directory holding them."""
    if step.paths:
        return [c.path for c in files if matches_any(c.path, step.paths) is not None]
    depth = len(PurePosixPath(step.cwd).parts) if step.cwd else 0
    cwds = [s.cwd for s in ctx.steps]
    return [
        c.path for c in files if owner_depth(c.path, cwds) == depth and _under(c.path, step.cwd)
    ]


def _under(path: str, cwd: str) -> bool:
    return not cwd or PurePosixPath(cwd) in PurePosixPath(path).parents


def _step(ctx: _Ctx, step: StepInfo, changes: list[git.Change]) -> StepChoice:
    runner = step.runner
    if step.unskippable:
        return StepChoice(step.key, runner, True, "the step is unskippable: it always runs")
    if runner == "pytest":
        return _pytest_step(ctx, step, changes)
    owned = _owned(ctx, step, changes)
    if not owned:
        where = "its paths:" if step.paths else f"its directory ({step.cwd or '.'})"
        return StepChoice(step.key, runner, False, f"no changed file in {where}")
    shown = _few(owned)
    if runner == "jest":
        js = [p for p in owned if JS_SOURCE.search(p) and (ctx.root / p).exists()]
        if len(js) == len(owned):
            rel = [_rel_path(p, step.cwd) for p in js]
            return StepChoice(
                step.key,
                runner,
                True,
                f"jest --findRelatedTests {shown}",
                whole=False,
                command=narrow_jest(step.command, rel),
            )
        return StepChoice(step.key, runner, True, f"changed: {shown} (not only JavaScript sources)")
    if runner == "node":
        tests = [p for p in owned if NODE_TEST_FILE.search(p)]
        live = [p for p in tests if (ctx.root / p).exists()]
        if len(tests) == len(owned) and live:
            cmd = narrow_node(step.command, [_rel_path(p, step.cwd) for p in live])
            if cmd is not None:
                return StepChoice(
                    step.key, runner, True, f"changed test files: {_few(live)}", False, cmd
                )
        if len(tests) == len(owned) and not live:
            return StepChoice(step.key, runner, False, f"only deleted test files: {shown}")
    if runner == "go":
        tests = [p for p in owned if GO_TEST_FILE.search(p)]
        live = [p for p in tests if (ctx.root / p).exists()]
        if len(tests) == len(owned) and live:
            pkgs = sorted(
                {"./" + (str(PurePosixPath(_rel_path(p, step.cwd)).parent)) for p in live}
            )
            pkgs = ["." if p == "./." else p for p in pkgs]
            cmd = narrow_go(step.command, pkgs)
            if cmd is not None:
                return StepChoice(
                    step.key, runner, True, f"changed test files: {_few(live)}", False, cmd
                )
    return StepChoice(step.key, runner, True, f"changed: {shown}")


def _rel_path(path: str, cwd: str) -> str:
    if not cwd:
        return path
    return PurePosixPath(path).relative_to(cwd).as_posix()


def _few(paths: list[str], n: int = 3) -> str:
    head = ", ".join(paths[:n])
    return head + (f" and {len(paths) - n} more" if len(paths) > n else "")


# ------------------------------------------------------------------------------ pytest steps


def _is_py_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return any(glob_match(name, p) for p in _PY_TEST_FILE)


def _module_name(graph: ImportGraph, root: Path, rel: str) -> str:
    """The module a file is (a loose file outside any package: its stem)."""
    return graph.module_of(root / rel) or PurePosixPath(rel).stem


def _pytest_step(ctx: _Ctx, step: StepInfo, changes: list[git.Change]) -> StepChoice:
    tmap = ctx.maps.get(step.key)
    py = [c for c in changes if c.path.endswith(".py") or (c.old or "").endswith(".py")]
    other = [c for c in changes if c not in py]
    owned_other = _owned(ctx, step, other)
    if tmap is None:
        return _pytest_step_level(ctx, step, py, owned_other)
    choice = StepChoice(step.key, "pytest", True, "")
    chosen: dict[str, tuple[str, float]] = {}
    whole: list[str] = []
    if owned_other:
        what = (
            "matches its paths:"
            if step.paths
            else "a non-Python file in its directory: coverage cannot see which tests read it"
        )
        whole.append(f"{_few(owned_other)} changed ({what})")
    tests_by_block: dict[tuple[str, str], list[str]] = {}
    touching: dict[str, set[str]] = {}
    for nodeid, by_file in tmap.tests.items():
        for path, names in by_file.items():
            touching.setdefault(path, set()).add(nodeid)
            for name in names:
                tests_by_block.setdefault((path, name), []).append(nodeid)
    fixture_by_block: dict[tuple[str, str], list[str]] = {}
    for nodeid, by_file in tmap.fixtures.items():
        for path, names in by_file.items():
            touching.setdefault(path, set()).add(nodeid)
            for name in names:
                fixture_by_block.setdefault((path, name), []).append(nodeid)
    by_test_file: dict[str, list[str]] = {}
    for nodeid in tmap.tests:
        by_test_file.setdefault(tmap.repo_path(nodeid), []).append(nodeid)

    def pick(nodeids: Iterable[str], why: str, directness: float) -> None:
        for n in nodeids:
            old = chosen.get(n)
            if old is None or old[1] < directness:
                chosen[n] = (why, directness)

    module_level: dict[str, str] = {}  # repo path -> why
    paths_seen: list[tuple[str, str]] = []
    for c in py:
        if c.status == "R" and c.old:
            paths_seen.append((c.old, "D"))
            paths_seen.append((c.path, "A"))
        else:
            paths_seen.append((c.path, c.status))
    for dirty in tmap.dirty:
        if all(dirty != p for p, _ in paths_seen):
            paths_seen.append((dirty, "M"))
    for path, status in paths_seen:
        if not path.endswith(".py"):
            continue
        entry = tmap.files.get(path)
        if entry is not None:
            now = None if status == "D" else ctx.parsed(path)
            if now is None:
                gone = "was deleted" if status == "D" else "is not valid Python now"
                module_level[path] = f"{path} {gone}"
                pick(touching.get(path, ()), f"ran code in {path}, which {gone}", 1.0)
                continue
            changed = sorted(n for n, d in entry.blocks.items() if now.blocks.get(n) != d)
            at_import = ctx.maps[step.key].import_time.get(path, set())
            for name in changed:
                where = f"{path}::{name}"
                if name in at_import:
                    module_level[path] = f"{where} changed and runs at import time"
                pick(tests_by_block.get((path, name), ()), f"ran {where}, which changed", 1.0)
                users = fixture_by_block.get((path, name), ())
                if users:
                    if ctx.spec.fixtures == "shared":
                        whole.append(
                            f"{where} changed and ran while fixtures were set up for "
                            f"{users[0]}: a module or session fixture may serve other tests "
                            "(selection.fixtures: shared)"
                        )
                    else:
                        pick(users, f"its fixtures ran {where}, which changed", 1.0)
            if now.skeleton != entry.skeleton:
                module_level[path] = f"module-level code of {path} changed"
            if path in module_level:
                pick(touching.get(path, ()), f"ran code in {path}: {module_level[path]}", 0.6)
            continue
        if path in by_test_file:
            if status != "D":
                alive = _test_names(ctx.root / path)
                pick(
                    [n for n in by_test_file[path] if alive is None or _base(n) in alive],
                    f"its test file {path} changed",
                    1.0,
                )
            continue
        if not _under(path, step.cwd) and not (step.paths and matches_any(path, step.paths)):
            # not this step's directory: only the import graph can tie it to this step
            module_level[path] = f"{path} changed"
            continue
        if status == "A" or _is_py_test_file(path):
            module_level[path] = f"{path} is new" if status == "A" else f"{path} changed"
            continue
        module_level[path] = f"{path} changed"
        graph = ctx.graph(step)
        if graph.problem is None and graph.module_of(ctx.root / path) is None:
            whole.append(f"{path} changed and the test map never measured it (outside --cov?)")
    if module_level:
        _via_graph(ctx, step, tmap, by_test_file, module_level, pick, whole)
    for path, status in paths_seen:
        if status != "D" and _is_py_test_file(path) and _under(path, tmap.rootdir):
            for nodeid in _new_tests(ctx.root, tmap, path):
                chosen.setdefault(nodeid, (f"new test in {path}", 1.0))
    failed_last = ctx.history.failed_last
    for nodeid in tmap.tests:
        if nodeid not in chosen and nodeid_to_test_id(nodeid) in failed_last:
            chosen[nodeid] = ("failed last time", 0.3)
    for nodeid in _unskippable(ctx, tmap):
        if nodeid not in chosen:
            chosen[nodeid] = ("unskippable", 0.3)
    if whole:
        choice.why = "; ".join(dict.fromkeys(whole))
        for nodeid in tmap.tests:
            if nodeid not in chosen:
                chosen[nodeid] = (f"its step runs whole: {whole[0]}", 0.3)
    tests = [
        TestChoice(
            id=n,
            step=step.key,
            why=w,
            risk=risk_of(ctx.history, nodeid_to_test_id(n), d),
            test_id=nodeid_to_test_id(n),
            directness=d,
        )
        for n, (w, d) in chosen.items()
    ]
    choice.chosen = tests
    if whole:
        return choice
    choice.whole = False
    choice.deselect = sorted(n for n in tmap.tests if n not in chosen)
    choice.skipped = [(n, "ran none of the changed code") for n in choice.deselect]
    if not chosen:
        choice.run = False
        choice.why = "no test ran the changed code" if py else "no Python file changed"
        if not py and not changes:
            choice.why = "nothing changed"
    else:
        choice.why = (
            f"{len(chosen)} of {len(tmap.tests)} tests ran the changed code (new tests also run)"
        )
    return choice


def _via_graph(
    ctx: _Ctx,
    step: StepInfo,
    tmap: TestMap,
    by_test_file: dict[str, list[str]],
    module_level: dict[str, str],
    pick: Any,
    whole: list[str],
) -> None:
    graph = ctx.graph(step)
    if graph.problem is not None:
        whole.append(f"module-level changes and {graph.problem}")
        return
    mods = {_module_name(graph, ctx.root, p): why for p, why in module_level.items()}
    affected = graph.importers(mods)
    for test_file, nodeids in by_test_file.items():
        own = _module_name(graph, ctx.root, test_file)
        imports = file_imports(ctx.root / test_file, graph.module_of(ctx.root / test_file))
        hit = graph.reaches(imports, affected) | ({own} & affected)
        if hit:
            reached = sorted(hit)[0]
            why = mods.get(reached) or f"it imports a changed module ({next(iter(mods.values()))})"
            pick(nodeids, f"{test_file} imports {reached}: {why}", 0.5)


def _base(nodeid: str) -> str:
    """``Class::test`` of ``tests/a.py::Class::test[1]``."""
    return nodeid.split("[", 1)[0].split("::", 1)[-1]


def _test_names(path: Path) -> set[str] | None:
    """``test_x`` and ``TestC::test_y`` defined in a test file (None when it cannot be read,
    or defines tests deeper than one class: then every test of it counts)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.ClassDef):
                    return None
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.add(f"{node.name}::{item.name}")
    return out


def _new_tests(root: Path, tmap: TestMap, path: str) -> list[str]:
    """Node ids of the test functions in *path* that the map does not know (new tests; they
    run anyway, being in no ``deselect`` list, and are listed so that ``--format pytest``
    names them). Parametrized tests are named without their parameters (all of them run)."""
    try:
        tree = ast.parse((root / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    rel = PurePosixPath(path).relative_to(tmap.rootdir).as_posix() if tmap.rootdir else path
    known = {n.split("[", 1)[0] for n in tmap.tests}
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            found.append(f"{rel}::{node.name}")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    item.name.startswith("test")
                ):
                    found.append(f"{rel}::{node.name}::{item.name}")
    return [n for n in found if n not in known]


def _unskippable(ctx: _Ctx, tmap: TestMap) -> list[str]:
    out = [
        n
        for n in tmap.tests
        if any(
            glob_match(n, g) or glob_match(nodeid_to_test_id(n), g) for g in ctx.spec.unskippable
        )
    ]
    files: dict[str, list[str]] = {}
    for n in tmap.tests:
        files.setdefault(n.split("::", 1)[0], []).append(n)
    for f, nodeids in files.items():
        path = ctx.root / tmap.rootdir / f if tmap.rootdir else ctx.root / f
        marked = _marked_unskippable(path)
        if marked is None:
            continue
        for n in nodeids:
            parts = n.split("[", 1)[0].split("::")[1:]
            if "*" in marked or any(p in marked for p in parts):
                out.append(n)
    return out


def _marked_unskippable(path: Path) -> set[str] | None:
    """Names of the functions and classes in a test file marked ``@pytest.mark.unskippable``
    (``*`` when the whole module is, through ``pytestmark``); None when none is."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "unskippable" not in text:
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and any(
            "unskippable" in ast.unparse(d) for d in node.decorator_list
        ):
            names.add(node.name)
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            and "unskippable" in ast.unparse(node.value)
        ):
            names.add("*")
    return names or None


def _pytest_step_level(
    ctx: _Ctx, step: StepInfo, py: list[git.Change], owned_other: list[str]
) -> StepChoice:
    """A pytest step without a map: the step runs whole when a changed file is its own or
    when its tests import a changed module (the import graph)."""
    if owned_other:
        return StepChoice(step.key, "pytest", True, f"changed: {_few(owned_other)}")
    if not py:
        return StepChoice(step.key, "pytest", False, "no changed file concerns it")
    graph = ctx.graph(step)
    if graph.problem is not None:
        return StepChoice(step.key, "pytest", True, f"Python files changed and {graph.problem}")
    test_files = _step_test_files(ctx, step)
    changed_paths = [p for c in py for p in (c.path, c.old) if p and p.endswith(".py")]
    for p in changed_paths:
        if p in test_files:
            return StepChoice(step.key, "pytest", True, f"its test file {p} changed")
    mods = {}
    for p in changed_paths:
        m = graph.module_of(ctx.root / p)
        if m is None:
            if _under(p, step.cwd):
                return StepChoice(
                    step.key,
                    "pytest",
                    True,
                    f"{p} changed (not in a package the import graph follows)",
                )
            continue
        mods[m] = p
    if not mods:
        return StepChoice(step.key, "pytest", False, "no changed Python module concerns it")
    affected = graph.importers(mods)
    for f in test_files:
        imports = file_imports(ctx.root / f, graph.module_of(ctx.root / f))
        own = graph.module_of(ctx.root / f)
        hit = graph.reaches(imports, affected) | ({own} & affected if own else set())
        if hit:
            return StepChoice(
                step.key, "pytest", True, f"{f} imports {sorted(hit)[0]}, which a change reaches"
            )
    return StepChoice(step.key, "pytest", False, "none of its tests imports a changed module")


def _step_test_files(ctx: _Ctx, step: StepInfo) -> list[str]:
    """The test files of a pytest step: under the paths its command names, else its directory."""
    from testgate.select.runners import _argv

    base = ctx.root / step.cwd
    argv = _argv(step.command) or []
    roots = [base / a for a in argv if not a.startswith("-") and (base / a).exists()]
    roots = [r for r in roots if r.is_dir() or r.suffix == ".py"] or [base]
    out: set[str] = set()
    for r in roots:
        files = [r] if r.is_file() else r.rglob("*.py")
        for f in files:
            rel = f.relative_to(ctx.root).as_posix()
            if any(
                part.startswith(".") or part in ("node_modules", "site-packages")
                for part in PurePosixPath(rel).parts
            ):
                continue
            if _is_py_test_file(rel):
                out.add(rel)
    return sorted(out)
