"""``testgate run --shard I/N``: what each step of the pipeline does in shard I of N.

* a **pytest** step runs only this shard's tests, through testgate's pytest plugin: the step's
  plan (``PlannedStep.pytest_plan``) gets a ``shard`` part with the tests the timings know,
  split by :func:`~testgate.shard.balance.balance`, and what the plugin needs to place the
  tests they do not know; selection's ``deselect`` (``--affected``) is honoured first, so only
  the selected tests are split;
* a **jest**, **vitest** or **playwright test** step gets ``--shard=I/N``;
* a step that uses ``${{ shard.index }}``, ``${{ shard.total }}`` or ``${{ shard.files }}``
  splits its own work (``shard.files``: its ``shard_files:`` split by file durations);
* any other step runs in shard 1 only, unless it says ``every_shard: true`` (then a pytest it
  starts follows the plan too).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.pipeline.plan import (
    Plan,
    PlannedStep,
    shard_file_list,
    substitute_shard,
    uses_shard,
)
from testgate.shard.balance import balance, group_keys
from testgate.shard.ci import ShardSpec
from testgate.shard.plan import file_of
from testgate.shard.timings import Timings

if TYPE_CHECKING:
    from testgate.workflow import Execution

__all__ = ["ShardHook", "add_shard_flag", "github_matrix", "junit_id", "runner_kind"]

_PYTEST = re.compile(r"(?:^|[\s/;&|(])(?:py\.test|pytest)(?=$|[\s;&|)])|-m\s+pytest\b")
_FLAGGED = re.compile(r"(?:^|[\s/;&|(])(jest|vitest|playwright\s+test)(?=$|[\s;&|)])")


def runner_kind(command: str | list[str]) -> str | None:
    """``pytest``, ``flag`` (a runner that takes ``--shard=I/N``) or None."""
    text = command if isinstance(command, str) else shlex.join(command)
    if _FLAGGED.search(text):
        return "flag"
    if _PYTEST.search(text):
        return "pytest"
    return None


def add_shard_flag(command: str | list[str], index: int, total: int) -> str | list[str]:
    """*command* with ``--shard=I/N`` right after the runner's name (jest, vitest,
    playwright test), so that options and shell operators after it keep their meaning."""
    flag = f"--shard={index}/{total}"
    if isinstance(command, list):
        for i, arg in enumerate(command):
            if os.path.basename(arg) in ("jest", "vitest") or (
                arg == "test" and i and os.path.basename(command[i - 1]) == "playwright"
            ):
                return [*command[: i + 1], flag, *command[i + 1 :]]
        return [*command, flag]
    m = _FLAGGED.search(command)
    if m is None:
        return f"{command} {flag}"
    return f"{command[: m.end()]} {flag}{command[m.end() :]}"


def junit_id(nodeid: str) -> str:
    """The id pytest's JUnit XML gives a test, from its node id (as the plugin computes it)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".").removesuffix(".py")
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1] if len(names) > 1 else names[-1]


_INI = (
    ("pytest.ini", None),
    (".pytest.ini", None),
    ("pyproject.toml", "[tool.pytest"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


def pytest_rootdir(cwd: Path, root: Path) -> Path:
    """Where a pytest started in *cwd* most likely has its rootdir: the nearest folder up to
    *root* with a pytest configuration, else *cwd* (node ids are relative to it)."""
    here = cwd
    while True:
        for name, marker in _INI:
            f = here / name
            if f.is_file():
                if marker is None:
                    return here
                try:
                    if marker in f.read_text(encoding="utf-8", errors="replace"):
                        return here
                except OSError:
                    pass
        if here == root or here.parent == here or root not in here.parents:
            return cwd
        here = here.parent


def _candidates(test: str) -> list[str]:
    """Files a test id may live in, relative to the rootdir."""
    scope, sep, _ = test.partition("::")
    if not sep:
        return []
    if scope.endswith(".py") or "/" in scope:
        return [scope]
    parts = scope.split(".")
    return ["/".join(parts[:i]) + ".py" for i in range(len(parts), 0, -1)]


@dataclass(slots=True)
class _Attribution:
    rootdir: Path
    cache: dict[str, bool] = field(default_factory=dict)

    def owns(self, test: str) -> bool:
        for c in _candidates(test):
            hit = self.cache.get(c)
            if hit is None:
                hit = self.cache[c] = (self.rootdir / c).is_file()
            if hit:
                return True
        return False


def github_matrix(total: int) -> dict[str, Any]:
    """The ``strategy.matrix`` for *total* shards: ``--shard ${{ matrix.shard }}``."""
    shards = [{"shard": f"{i}/{total}", "index": i, "total": total} for i in range(1, total + 1)]
    return {"include": shards}


class ShardHook:
    """A plan hook (``RunOptions.plan_hooks``) that makes the plan shard *spec*'s part."""

    def __init__(self, spec: ShardSpec, timings: Timings, root: Path) -> None:
        self.spec = spec
        self.timings = timings
        self.root = root
        #: step key -> the part of its plan every shard computes alike (for the digest)
        self.parts: dict[str, Any] = {}
        #: steps whose pytest must report that it followed the plan
        self.pytest_steps: set[str] = set()
        self.notes: list[str] = []

    # -- the plan ------------------------------------------------------------------------
    def __call__(self, plan: Plan) -> None:
        i, n = self.spec.index, self.spec.total
        for step in plan.steps:
            if step.skip_reason is not None:
                continue
            kind = runner_kind(step.command)
            # a test step whose command uses the shard's total or files splits its own work;
            # ${{ shard.index }} alone (naming a report) leaves the split to testgate
            own = uses_shard(step) and (
                kind is None or _command_uses(step, "total") or _command_uses(step, "files")
            )
            if kind is None and not own and not step.every_shard:
                if i != 1:
                    step.skip_reason = (
                        f"runs in shard 1/{n} only (not a test step; every_shard: true runs "
                        "it in every shard)"
                    )
                continue
            if own:
                files = self._files(step)
                self.parts[step.key] = {"files": files}
                mine = files[i - 1]
                if uses_shard(step, "files") and not mine:
                    step.skip_reason = f"no test files for shard {i}/{n}"
                    continue
                substitute_shard(step, i, n, mine)
                continue
            substitute_shard(step, i, n, [])
            if kind == "flag":
                step.command = add_shard_flag(step.command, i, n)
                self.parts[step.key] = {"flag": f"{n}"}
                continue
            part, bins = self._pytest_part(step)
            # what every shard computes alike: the whole split, not this shard's side of it
            self.parts[step.key] = {
                "bins": bins,
                **{k: v for k, v in part.items() if k not in ("index", "tests", "others")},
            }
            step.pytest_plan = {**(step.pytest_plan or {}), "shard": part}
            if kind == "pytest":
                self.pytest_steps.add(step.key)

    def _files(self, step: PlannedStep) -> list[list[str]]:
        files = shard_file_list(step)
        n = self.spec.total
        if not files:
            return [[] for _ in range(n)]
        per_file: dict[str, float] = {}
        rel_cwd = _rel(step.cwd, self.root)
        for test, d in self.timings.durations.items():
            f = file_of(test, self.timings.files)
            for cand in (f, f.removeprefix(rel_cwd + "/") if rel_cwd else f):
                if cand in files:
                    per_file[cand] = per_file.get(cand, 0.0) + d
                    break
        known = list(per_file.values())
        default = statistics.median(known) if known else 1.0
        weights = {f: per_file.get(f, default) for f in files}
        return [sorted(b) for b in balance(weights, n)]

    def _pytest_part(self, step: PlannedStep) -> tuple[dict[str, Any], list[list[str]]]:
        i, n = self.spec.index, self.spec.total
        deselect: set[str] = set()
        for nodeid in (step.pytest_plan or {}).get("deselect") or ():
            deselect.add(nodeid)
            deselect.add(junit_id(nodeid))
        owner = _Attribution(pytest_rootdir(step.cwd, self.root))
        known = {
            t: d for t, d in self.timings.durations.items() if t not in deselect and owner.owns(t)
        }
        bins = balance(known, n)
        loads = [round(sum(known[t] for t in b), 6) for b in bins]
        groups: dict[str, list[float]] = {}
        for t, d in known.items():
            for g in [*group_keys(t)[:2], *_candidates(t)[:1]]:
                groups.setdefault(g, []).append(d)
        estimates = {g: round(statistics.median(v), 6) for g, v in sorted(groups.items())}
        default = round(statistics.median(known.values()), 6) if known else 1.0
        part = {
            "index": i,
            "total": n,
            "tests": bins[i - 1],
            "others": sorted(t for k, b in enumerate(bins) if k != i - 1 for t in b),
            "loads": loads,
            "estimates": estimates,
            "default": default,
        }
        return part, bins

    # -- after the run -------------------------------------------------------------------
    def digest(self) -> str:
        """The same on every shard that planned alike (``testgate merge`` compares them)."""
        text = json.dumps(
            {"total": self.spec.total, "steps": self.parts}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def finish(self, execution: Execution) -> None:
        """Record the shard in the run, and refuse a pytest step that ignored its plan."""
        run = execution.run
        run.ci.shard_index = self.spec.index
        run.ci.shard_total = self.spec.total
        run.ci.shard_plan = self.digest()
        if execution.run_dir is None:
            return
        for result in run.steps:
            key = f"{result.stage}/{result.name}"
            if key not in self.pytest_steps or result.status != "passed" or not result.log:
                continue
            done = execution.run_dir / "plans" / f"{Path(result.log).stem}.result.json"
            if not done.is_file():
                execution.report_errors.append(
                    f"{key}: its pytest did not follow shard {self.spec}'s plan (testgate's "
                    "pytest plugin did not run), so it ran every test rather than this "
                    "shard's: install testgate where the step's pytest runs"
                )


def _command_uses(step: PlannedStep, key: str) -> bool:
    probe = PlannedStep(step.stage, step.name, step.index, step.command, step.cwd)
    return uses_shard(probe, key)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix().strip(".")
    except ValueError:
        return ""


def timings_summary(timings: Timings, spec: ShardSpec) -> str:
    n = len(timings.durations)
    if not n:
        return f"shard {spec}: no recorded test durations; tests are split by count"
    return f"shard {spec}: {n} test durations from {timings.source}"
