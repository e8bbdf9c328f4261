"""The spine of testgate as plain functions, in the order a run goes through them.

::

    load(config)                  config + gates, every problem located; plugins loaded
    execute(loaded, options)      the pipeline on an Executor, reports read into a Run
    ingest(paths, options)        reports made elsewhere read into a Run
    gate(loaded, run, options)    the verdict (with its baseline); sets run.verdict
    persist(loaded, run, options) summary.json, latest/, history record, alerts, roll-ups
    render(run, targets, ctx)     every output through the renderer registry
    exit_code(...)                the one exit code, in ExitCode terms

Each step is testable alone and none of them prints: commands (:mod:`testgate.cli`) are
options, one call per step, and printing. :mod:`testgate.api` exposes the same functions.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate._faults import point as fault_point
from testgate.errors import ConfigError, ExitCode, GateError, TestgateError, UsageError
from testgate.model import Run, write_summary

if TYPE_CHECKING:
    from testgate.adapters.ingest import IngestResult
    from testgate.config.loader import LoadedConfig
    from testgate.gates.backtest import Backtest
    from testgate.gates.spec import GatesSpec
    from testgate.history.alerts import AlertFired
    from testgate.history.notify import Delivery
    from testgate.history.recording import RecordOutcome
    from testgate.history.store import HistoryStore
    from testgate.history.view import HistoryView
    from testgate.pipeline.plan import Plan
    from testgate.pipeline.runner import PipelineOutcome, RunOptions
    from testgate.report.registry import RenderContext
    from testgate.select.engine import Selection, StepInfo
    from testgate.select.replay import Audit
    from testgate.triage import Triage, TriageSettings
    from testgate.verdict import Verdict

__all__ = [
    "BacktestOptions",
    "Execution",
    "GateOptions",
    "IngestOptions",
    "Loaded",
    "PersistOptions",
    "Persisted",
    "ReplayOptions",
    "ScaleOptions",
    "SelectOptions",
    "TriageOptions",
    "backtest",
    "execute",
    "exit_code",
    "final_word",
    "gate",
    "has_gates",
    "ingest",
    "is_shard",
    "load",
    "load_gates",
    "load_triage",
    "merge",
    "persist",
    "quarantine",
    "render",
    "replay",
    "run_failed",
    "select",
    "selection_hook",
    "selection_metrics",
    "triage",
    "triage_report",
    "triage_settings",
]


# --------------------------------------------------------------------------------------- load


@dataclass(slots=True)
class Loaded:
    """A validated configuration with its gates."""

    #: the configuration and where it came from (file, root, key lines)
    source: LoadedConfig
    #: the gates, deployment gates and quarantine, parsed
    gates: GatesSpec
    #: what validation noticed without refusing (a gate's metric that no step's report gives)
    notes: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.source.root

    @property
    def state_dir(self) -> Path:
        return self.source.state_dir

    @property
    def path(self) -> Path:
        return self.source.path


def _plugins() -> None:
    from testgate.plugins import get_plugins

    get_plugins()


def _located(source: LoadedConfig, exc: ConfigError) -> ConfigError:
    """*exc* with each problem prefixed by ``file:line:`` of its key path."""
    name = _shown(source.path)
    out = []
    for problem in exc.problems:
        key = re.sub(r"\[(\d+)\]", r".\1", problem.split(": ", 1)[0])
        line = None
        while key:
            if key in source.lines:
                line = source.lines[key]
                break
            key = key.rpartition(".")[0]
        out.append(f"{name}:{line}: {problem}" if line else f"{name}: {problem}")
    return ConfigError(out[0], problems=out, slug=exc.slug)


def load_gates(source: LoadedConfig) -> GatesSpec:
    """The gate specs of *source*; problems name ``file:line: key.path``."""
    from testgate.gates.spec import parse_gates

    _plugins()
    cfg = source.config
    try:
        return parse_gates(
            cfg.section("gates"), cfg.section("deployment_gates"), cfg.section("quarantine")
        )
    except ConfigError as exc:
        raise _located(source, exc) from None


def load(config: str | Path | None = None) -> Loaded:
    """Load the configuration (found upward from here when *config* is None) and its gates.

    Builds the plugin manager first, so that every adapter, renderer and criterion a plugin
    provides is known. Every problem, of the pipeline and of the gates alike (thresholds,
    metric names, alerts), is raised at once as one :class:`~testgate.errors.ConfigError`
    naming file and line.
    """
    from testgate.adapters.registry import default_registry
    from testgate.config.loader import load_config
    from testgate.gates.checks import check_config

    _plugins()
    notes: list[str] = []

    def gates_and_alerts(data: dict[str, Any]) -> list[tuple[str, str]]:
        checked = check_config(data, default_registry())
        notes.extend(checked.notes)
        return checked.problems

    source = load_config(config, checks=[gates_and_alerts])
    loaded = Loaded(source=source, gates=load_gates(source), notes=_locate_notes(source, notes))
    triage_settings(loaded)  # a bad triage: or escalation: section fails here, located
    return loaded


def _locate_notes(source: LoadedConfig, notes: list[str]) -> list[str]:
    """``file:line: key: note``, in the order of the file."""
    name = _shown(source.path)
    located = []
    for note in notes:
        key = note.partition(": ")[0]
        located.append((source.line_of(key), f"{name}:{source.line_of(key)}: {note}"))
    return [text for _, text in sorted(located, key=lambda x: x[0])]


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------- triage


def triage_settings(loaded: Loaded | None) -> TriageSettings:
    """The ``triage:`` and ``escalation:`` sections of *loaded*, parsed (defaults without a
    configuration). Raises :class:`~testgate.errors.ConfigError` naming file and line."""
    from testgate.triage import TriageSettings

    if loaded is None:
        return TriageSettings()
    return load_triage(loaded.source)


def load_triage(source: LoadedConfig) -> TriageSettings:
    """The ``triage:`` and ``escalation:`` sections of *source*; problems name ``file:line``."""
    from testgate.triage import settings_from

    cfg = source.config
    try:
        return settings_from(cfg.triage, cfg.escalation)
    except ConfigError as exc:
        raise _located(source, exc) from None


@dataclass(slots=True)
class TriageOptions:
    """``testgate triage``: where the history that names first-seen causes is."""

    #: the store URL; None: ``TESTGATE_DB``, ``history.url``, ``.testgate/history.db``
    db: str | None = None
    #: read the history store at all
    history: bool = True


def triage_report(loaded: Loaded | None, run: Run, options: TriageOptions | None = None) -> Triage:
    """The triage of *run* (``testgate triage``): clusters biggest first with category,
    tests, owners, severity, SLA and first_seen from the history store, when there is one.

    A default SQLite store that does not exist yet is not created (first_seen is then
    unknown, and a note says so); a store named with ``db`` that cannot be opened is an error.
    """
    from testgate.history.store import open_store, resolve_url
    from testgate.triage import analyse

    options = options or TriageOptions()
    settings = triage_settings(loaded)
    source = loaded.source if loaded is not None else None
    root = loaded.root if loaded is not None else Path.cwd()
    run_dir = loaded.state_dir / "runs" / run.id if loaded is not None else None
    if run_dir is not None and not run_dir.is_dir():
        run_dir = None
    notes: list[str] = []
    store = None
    if options.history:
        url = resolve_url(options.db, source)
        if url.startswith("sqlite:///") and not Path(url[10:]).exists() and not options.db:
            notes.append(f"no history store at {url[10:]} yet: first_seen is unknown")
        else:
            try:
                store = open_store(url)
            except TestgateError as exc:
                if options.db:
                    raise
                notes.append(f"history store not read ({exc}): first_seen is unknown")
    try:
        t = analyse(run, settings, root=root, run_dir=run_dir, store=store)
    finally:
        if store is not None:
            store.close()
    if notes:
        t.notes = [n for n in t.notes if not n.startswith("no history store was read")]
        t.notes[:0] = notes
    return t


def triage(loaded: Loaded | None, run: Run) -> int:
    """Set ``category`` and ``fingerprint`` on every failed or errored test of *run* that has
    none yet (the configuration's own categories first); returns how many were set.

    :func:`execute` and :func:`ingest` call it, and :func:`persist` again for a summary made
    elsewhere, so every summary and history record carries them.
    """
    if not any(map(_FAILING.__contains__, map(_STATUS, run.tests))):
        return 0  # nothing to triage: no need to import triage (0.05 s of every ingest)
    from testgate.triage import apply

    return apply(run, triage_settings(loaded).rules)


_FAILING = frozenset(("failed", "error"))
_STATUS = attrgetter("status")


# ------------------------------------------------------------------------------------ execute


@dataclass(slots=True)
class Execution:
    """A finished pipeline run or ingest: the run and what the later steps need."""

    run: Run
    #: where the run's files live (logs; the summary goes here): ``.testgate/runs/<id>``
    run_dir: Path | None = None
    #: one line per report that could not be read or was not this run's
    report_errors: list[str] = field(default_factory=list)
    #: step key -> allow_failure
    allow_failure: dict[str, bool] = field(default_factory=dict)
    #: the pipeline's own outcome (plan, ...), when a pipeline ran
    pipeline: PipelineOutcome | None = None
    #: the ingest's per-report table, when reports were ingested
    ingested: IngestResult | None = None
    #: what the run should know without failing (an expired quarantine entry)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ScaleOptions:
    """Scale-out (docs/scale-out.md): which shard this machine runs, and where steps run."""

    #: ``I/N`` (1-based) or ``auto`` (from the CI's variables); None: not sharded
    shard: str | None = None
    #: the number of shards where the CI knows only the index (a Kubernetes Indexed Job)
    shards: int | None = None
    #: per-test durations to split by (a ``.test_durations`` file or report globs);
    #: None: the history store
    durations: str | None = None
    #: the history store to read durations from; None: the usual resolution
    db: str | None = None
    #: ``local``, ``dask-local:N`` or ``tcp://HOST:PORT``; None: ``executor:`` in the config
    executor: str | None = None


def execute(
    loaded: Loaded, options: RunOptions | None = None, scale: ScaleOptions | None = None
) -> Execution:
    """Run the pipeline of *loaded* on its executor and read every report into one run.

    Writes nothing but the steps' logs; the run is finalised (metrics derived) but not gated.
    With *scale*, only one shard's part runs (``shard``) and steps may run on a Dask cluster
    (``executor``; ``executor:`` in the configuration otherwise).
    """
    import dataclasses

    from testgate.pipeline.runner import RunOptions, execute_pipeline

    fault_point("plan")
    options = dataclasses.replace(options) if options is not None else RunOptions()
    scale = scale or ScaleOptions()
    hook = None
    if scale.shard is not None:
        from testgate.shard.ci import parse_shard
        from testgate.shard.planning import timings_for
        from testgate.shard.steps import ShardHook, timings_summary

        spec = parse_shard(scale.shard, os.environ, scale.shards)
        timings = timings_for(scale.durations, db=scale.db, config=loaded.source, root=loaded.root)
        hook = ShardHook(spec, timings, loaded.root)
        options.plan_hooks = [*options.plan_hooks, hook]
        if options.progress is not None:
            options.progress.note(timings_summary(timings, spec))
    owned = None
    where = scale.executor or loaded.source.config.executor
    if options.executor is None and where not in (None, "", "local"):
        from testgate.shard.executors import make_executor

        owned = options.executor = make_executor(where, progress=options.progress)
    try:
        outcome = execute_pipeline(loaded.source, options)
    finally:
        if owned is not None:
            owned.close()
    triage(loaded, outcome.run)
    execution = Execution(
        run=outcome.run,
        run_dir=outcome.run_dir,
        report_errors=list(outcome.report_errors),
        allow_failure=dict(outcome.allow_failure),
        pipeline=outcome,
        warnings=quarantine(loaded, outcome.run),
    )
    if hook is not None:
        before = len(execution.report_errors)
        hook.finish(execution)
        if options.progress is not None:
            for problem in execution.report_errors[before:]:
                options.progress.note(problem, error=True)
    return execution


def quarantine(loaded: Loaded, run: Run, today: _dt.date | None = None) -> list[str]:
    """Apply the configuration's quarantine to *run* (which tests each entry matches, the
    ``quarantine.*`` metrics) and return a warning per expired entry.

    A quarantined test's failure then fails neither the run (:func:`run_failed`) nor the gates.
    """
    from testgate.gates.quarantine import apply_quarantine

    return apply_quarantine(run, loaded.gates.quarantine, today or _dt.date.today())


@dataclass(slots=True)
class IngestOptions:
    """``testgate ingest``: what to read and the facts of the run it becomes."""

    format: str | None = None
    root: Path | None = None
    project: str = ""
    commit: str | None = None
    branch: str | None = None
    keep_going: bool = False


def ingest(patterns: Sequence[str], options: IngestOptions | None = None) -> Execution:
    """Read report files made elsewhere (paths or globs) into one run."""
    from testgate.adapters.ingest import expand_paths, git_facts, new_run_id
    from testgate.adapters.ingest import ingest as read_all
    from testgate.adapters.registry import ReadContext, default_registry

    _plugins()
    options = options or IngestOptions()
    if not patterns:
        raise UsageError("ingest: give at least one report FILE (or a glob such as '*.xml')")
    registry = default_registry()
    if options.format is not None:
        registry.get(options.format)  # unknown: the error lists the supported formats
    root = options.root.resolve() if options.root else Path.cwd()
    paths = expand_paths(list(patterns))
    vcs = git_facts(Path.cwd())
    if options.commit:
        vcs.commit = options.commit
    if options.branch:
        vcs.branch = options.branch
    run = Run(
        id=new_run_id(),
        project=options.project,
        started_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        vcs=vcs,
    )
    result = read_all(
        paths,
        format=options.format,
        ctx=ReadContext(root=root),
        registry=registry,
        keep_going=options.keep_going,
        run=run,
    )
    errors = [f"{exc}" for _path, exc in result.errors]
    triage(None, result.run)
    return Execution(run=result.run, report_errors=errors, ingested=result)


def merge(summaries: Sequence[str | Path]) -> Execution:
    """Merge the summaries of a sharded run's shards (``testgate run --shard I/N``) into one
    run: each test once, coverage merged line by line, findings, report metrics and steps.
    A missing or doubled shard, or shards that split the tests differently, is an
    :class:`~testgate.errors.InputError` naming it."""
    from testgate.model import read_summary
    from testgate.shard.merge import ShardRun, merge_runs

    shards = [ShardRun(str(p), read_summary(p)) for p in summaries]
    return Execution(run=merge_runs(shards))


# --------------------------------------------------------------------------------------- gate


@dataclass(slots=True)
class GateOptions:
    """How to evaluate the gates (``testgate gate``'s options; ``testgate run`` passes its own)."""

    #: the run trends and baseline comparisons compare with: a summary file, a git ref (its
    #: last recorded run), ``none``; None: the last recorded run of the base branch
    baseline: str | None = None
    #: the history store for the baseline; None: ``TESTGATE_DB``, ``history.url``, the default
    db: str | None = None
    #: base of new-code coverage (default: the upstream branch, else main, else master)
    base: str | None = None
    #: evaluate ``deployment_gates.ENV`` instead of every gate
    env: str | None = None
    strict: bool = False
    #: pass despite failing gates where ``bypass_allowed``; the reason is recorded
    bypass: str | None = None
    #: grant the ``manual_approval`` deployment check
    approved: bool = False
    #: for quarantine expiry; None means today
    today: _dt.date | None = None
    #: where relative baseline paths are read from; None means the current directory
    cwd: Path | None = None


def _needs_baseline(spec: GatesSpec, env: str | None) -> bool:
    from testgate.gates.spec import gates_for_env

    try:
        gates = gates_for_env(spec, env)
    except GateError:
        return False  # gate() itself says what is wrong with --env
    return any(c.kind in ("trend", "baseline") for g in gates for c in g.criteria)


def _history_baseline(loaded: Loaded, run: Run, options: GateOptions) -> tuple[Run | None, str]:
    """The last recorded run of the base branch (at the merge-base when there is one)."""
    from testgate.history.baseline import find_baseline, merge_base
    from testgate.history.branches import default_branch
    from testgate.history.store import open_store, resolve_url

    url = resolve_url(options.db, loaded.source)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return None, "no baseline: the history store has no run yet"
    with open_store(url) as store:
        base = run.vcs.base_ref.removeprefix("origin/") if run.vcs.base_ref else None
        choice = default_branch(
            store,
            branch=base,
            configured=loaded.source.config.history.default_branch,
            root=loaded.root,
        )
        commit = merge_base(loaded.root, choice.branch) if choice.branch else None
        found = find_baseline(store, branch=choice.branch, exclude=run.id, commit=commit)
    if found.run is None:
        return None, f"no baseline: {found.why}"
    return found.run, f"baseline: {found.why}"


def _history_metrics(loaded: Loaded, run: Run, options: GateOptions) -> str | None:
    """Set ``history.flaky_rate`` on *run* when a gate asks for it: the rate of the recorded
    window of the run's branch. Returns a note when it cannot be measured."""
    from testgate.gates.spec import gates_for_env

    try:
        gates = gates_for_env(loaded.gates, options.env)
    except GateError:
        return None
    if not any((c.metric or "").startswith("history.") for g in gates for c in g.criteria):
        return None
    from testgate.history.flaky import flaky_rate
    from testgate.history.store import open_store, resolve_url

    url = resolve_url(options.db, loaded.source)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return "history.flaky_rate: the history store has no run yet"
    with open_store(url) as store:
        rate = flaky_rate(store, branch=run.vcs.branch, window=loaded.source.config.history.window)
    if rate is None:
        return f"history.flaky_rate: no run of {run.vcs.branch or 'this branch'} is recorded yet"
    run.metrics["history.flaky_rate"] = round(rate.rate, 4)
    return rate.describe()


def _needs_new_code(spec: GatesSpec) -> bool:
    return any(c.metric == "coverage.new_code" for g in spec.gates.values() for c in g.criteria)


def has_gates(loaded: Loaded) -> bool:
    """Whether the configuration defines any gate (``testgate run`` gates only then)."""
    return bool(loaded.gates.gates)


def is_shard(run: Run) -> bool:
    """Whether *run* is one shard of a sharded run (``testgate run --shard I/N``, N > 1).

    A shard holds part of the tests and part of the coverage: its gates are evaluated on the
    merged run (``testgate merge``, then ``testgate gate``), never on the part.
    """
    return run.ci.shard_total is not None and run.ci.shard_total > 1


def gate(loaded: Loaded, run: Run, options: GateOptions | None = None) -> Verdict:
    """Evaluate *loaded*'s gates over *run*, set ``run.verdict`` and return it.

    The I/O the pure evaluation needs happens here: reading a baseline, running git for
    new-code coverage, reading today's date for quarantine expiry.
    """
    from testgate.gates.baseline import baseline_provider
    from testgate.gates.evaluate import evaluate

    options = options or GateOptions()
    spec = loaded.gates
    quarantine(loaded, run, options.today)
    baseline = None
    why: str | None = None
    if options.baseline is not None and options.baseline.strip().lower() == "none":
        why = "no baseline: --baseline none"
    elif options.baseline:
        provider = baseline_provider(
            options.baseline,
            cwd=options.cwd or Path.cwd(),
            loaded=loaded.source,
            exclude=run.id,
            db=options.db,
        )
        baseline = provider.load()
    elif _needs_baseline(spec, options.env):
        baseline, why = _history_baseline(loaded, run, options)
    history_note = _history_metrics(loaded, run, options)
    changes = None
    problem = None
    if (options.base or _needs_new_code(spec)) and run.coverage:
        from testgate.gates.newcode import changed_lines

        try:
            changes = changed_lines(loaded.root, options.base)
        except GateError as exc:
            if options.base:
                raise
            problem = str(exc)
    verdict = evaluate(
        spec,
        run,
        baseline=baseline,
        env=options.env,
        strict=options.strict,
        bypass=options.bypass,
        changes=changes,
        today=options.today or _dt.date.today(),
        approved=options.approved,
    )
    if problem:
        verdict.notes.append(problem)
    if options.env:
        _deployment_block(loaded, verdict)
    if why is not None:
        verdict.notes.append(why)
    if history_note is not None:
        verdict.notes.append(history_note)
    if verdict.bypass is not None:
        # an exception is recorded with who granted it and when (the evaluation is pure)
        verdict.bypass["user"] = _user()
        verdict.bypass["at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    run.verdict = verdict
    return verdict


def _deployment_block(loaded: Loaded, verdict: Verdict) -> None:
    """``block_deployment`` (escalation): while triage's status file stands, no ``--env``
    verdict passes."""
    from testgate.triage.block import BLOCK_FILE, read_block
    from testgate.verdict import CriterionResult

    block = read_block(loaded.state_dir)
    if block is None:
        return
    clusters = block.get("clusters") or []
    details = tuple(
        f"[{c.get('severity')}] {c.get('signature')} ({c.get('count')} failing; owners: "
        f"{', '.join(c.get('owners') or []) or 'unknown'})"
        for c in clusters
        if isinstance(c, dict)
    )
    why = block.get("error") or (
        f"run {block.get('run')} (commit {str(block.get('commit') or '?')[:12]}) had "
        f"{len(clusters)} failure cluster(s) whose escalation says block_deployment"
    )
    verdict.results.append(
        CriterionResult(
            gate="escalation",
            criterion="block_deployment",
            metric=None,
            actual=None,
            expected="no deployment block",
            status="fail",
            blocking=True,
            hint=f"{why}; a green run lifts it (or delete .testgate/{BLOCK_FILE})",
            details=details,
            label="blocked",
        )
    )
    verdict.gates["escalation"] = "fail"
    verdict.blocking["escalation"] = True
    verdict.passed = False


#: where CI systems and shells say who is running testgate, most specific first
_USER_VARS = (
    "TESTGATE_USER",
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILD_USER_ID",
    "BUILDKITE_BUILD_CREATOR",
    "USER",
    "USERNAME",
)


def _user() -> str:
    for var in _USER_VARS:
        value = os.environ.get(var)
        if value:
            return value
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@dataclass(slots=True)
class BacktestOptions:
    """``testgate gate --backtest``: which recorded runs to evaluate the gates over."""

    #: the last N runs of the branch
    last: int = 20
    #: the branch (default: ``history.default_branch``, git's default branch, main/master)
    branch: str | None = None
    #: the history store; None: ``TESTGATE_DB``, ``history.url``, the default
    db: str | None = None
    env: str | None = None
    strict: bool = False


def backtest(loaded: Loaded, options: BacktestOptions | None = None) -> Backtest:
    """Evaluate *loaded*'s gates over the last runs the history store recorded: the verdict
    each would have had, which criteria decided it, and which blocked runs a later run of the
    branch fixed. Reads the store; writes nothing."""
    from testgate.errors import HistoryError
    from testgate.gates.backtest import StoredRun
    from testgate.gates.backtest import backtest as run_backtest
    from testgate.gates.spec import gates_for_env
    from testgate.history.branches import default_branch
    from testgate.history.store import open_store, resolve_url

    options = options or BacktestOptions()
    if options.last < 1:
        raise UsageError(f"--last must be at least 1, got {options.last}")
    gates_for_env(loaded.gates, options.env)  # an unknown --env is an error before any read
    if not loaded.gates.gates and options.env is None:
        raise UsageError(
            "--backtest: the configuration has no gates to back-test; add a gates: section"
        )
    url = resolve_url(options.db, loaded.source)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        raise HistoryError(
            f"--backtest: no history store at {url[len('sqlite:///') :]} yet; runs are recorded "
            "by 'testgate run' (or 'testgate history record')",
            slug="history-db",
        )
    with open_store(url) as store:
        choice = default_branch(
            store,
            branch=options.branch,
            configured=loaded.source.config.history.default_branch,
            root=loaded.root,
        )
        infos = store.runs(choice.branch, limit=options.last)
        stored: list[StoredRun] = []
        for info in reversed(infos):  # oldest first
            run = store.last_run(info.id)
            if run is None:  # pragma: no cover - recorded a moment ago
                continue
            totals = {p: (cl, tl) for p, cl, tl, _cb, _tb in store.run_coverage(info)}
            stored.append(StoredRun(run, totals, info.verdict))
    result = run_backtest(
        loaded.gates, stored, branch=choice.branch, env=options.env, strict=options.strict
    )
    result.notes.append(f"{len(stored)} recorded run(s) {choice.describe()}")
    return result


# ------------------------------------------------------------------------------------ persist


@dataclass(slots=True)
class PersistOptions:
    """Where a run goes."""

    #: write the summary (``history record`` of a summary made elsewhere does not)
    write: bool = True
    #: the summary file; None: ``.testgate/runs/<id>/summary.json`` beside the configuration
    summary: Path | None = None
    #: also copy the summary to ``.testgate/latest/summary.json``
    latest: bool = True
    #: record the run in the history store (and fire its alerts)
    record: bool = True
    #: the store URL; None: ``TESTGATE_DB``, ``history.url``, ``.testgate/history.db``
    db: str | None = None
    #: send fired alerts to the configured webhooks
    notify: bool = True
    #: also read the branch's history for the HTML report (from the same open store)
    history_view: bool = False
    #: step key -> allow_failure, for the run's recorded outcome (see :func:`run_failed`)
    allow_failure: dict[str, bool] | None = None
    #: a run already recorded gets this run's verdict (``testgate gate --bypass`` records the
    #: exception on the run it was granted for)
    update_verdict: bool = False
    #: triage a red run: the failure digest, the deployment block, escalation webhooks
    triage: bool = True


@dataclass(slots=True)
class Persisted:
    """What :func:`persist` wrote, and what went wrong without losing anything."""

    summary: Path | None = None
    recorded: bool = False
    #: the store's URL without its password
    store: str | None = None
    fired: list[AlertFired] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    #: the whole outcome of recording (alert results, the previous run), when recorded
    outcome: RecordOutcome | None = None
    #: one line each: a store that cannot be opened, a config error in alerts...
    errors: list[str] = field(default_factory=list)
    history: HistoryView | None = None
    #: what is worth saying but failed nothing (a coverage data file without test contexts)
    notes: list[str] = field(default_factory=list)
    #: steps whose test map (for selection) was recorded
    maps: list[str] = field(default_factory=list)
    #: the run's triage (clusters, owners, first seen), when it was triaged
    triage: Triage | None = None
    #: ``.testgate/latest/failures.md``, when written
    digest: Path | None = None
    #: the deployment block written for this run (``block_deployment``), if any
    block: Path | None = None
    #: deliveries of the triage's escalation webhooks
    triage_deliveries: list[Delivery] = field(default_factory=list)


def persist(loaded: Loaded | None, run: Run, options: PersistOptions | None = None) -> Persisted:
    """Write the run's summary (and ``latest/``), record it in the history and fire its alerts.

    The summary is written first: a store that cannot be opened is one line in
    ``Persisted.errors`` (exit code 2), and nothing of the run is lost. Never decides.
    """
    options = options or PersistOptions()
    out = Persisted()
    triage(loaded, run)  # a summary made elsewhere may carry no categories yet
    target = options.summary
    if target is None and loaded is not None:
        target = loaded.state_dir / "runs" / run.id / "summary.json"
    latest = loaded.state_dir / "latest" / "summary.json" if loaded is not None else None
    write = options.write and target is not None
    try:
        if write:
            assert target is not None
            _write_summaries(run, target, latest if options.latest else None, out)
        if options.record:
            _record(loaded, run, options, out)
    except KeyboardInterrupt:
        # SIGINT or SIGTERM while writing: the summary and latest/ are replaced atomically
        # and the history transaction rolls back, so nothing is half-written; the run's
        # summary is written once more, marked interrupted, and the run is not recorded
        run.interrupted = True
        if write:
            assert target is not None
            with _signals_deferred():
                _write_summaries(run, target, latest if options.latest else None, out)
        raise
    if not options.record and options.triage and loaded is not None:
        _triage_outputs(loaded, run, options, out, None)
    from testgate.plugins import get_plugins

    get_plugins().run_finished(run)
    return out


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM for a moment (the last atomic write of an interrupted run);
    a no-op off the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _write_summaries(run: Run, target: Path, latest: Path | None, out: Persisted) -> None:
    """The run's summary and ``latest/``; a disk that is full (or read-only, or a folder
    that cannot be made) is one line naming the path in ``out.errors`` (exit 2), with no
    partial file left, and the history record is still made (nothing measured is lost)."""
    where = target
    try:
        out.summary = write_summary(run, target)
        if latest is not None:
            where = latest
            _update_latest(out.summary, latest)
    except OSError as exc:
        why = exc.strerror or str(exc)
        out.errors.append(
            f"{where}: cannot write the run's summary ({why}); free space or fix the folder's "
            "permissions and run again"
        )


def _update_latest(summary: Path, latest: Path) -> None:
    """Copy *summary* to *latest* atomically (a unique temporary name, then a rename)."""
    import shutil
    import tempfile

    latest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".summary.", suffix=".tmp", dir=latest.parent)
    try:
        with os.fdopen(fd, "wb") as dst, open(summary, "rb") as src:
            shutil.copyfileobj(src, dst)
        fault_point("latest")
        os.replace(tmp, latest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _record(loaded: Loaded | None, run: Run, options: PersistOptions, out: Persisted) -> None:
    from testgate.history.recording import record_and_alert
    from testgate.history.store import open_store, resolve_url

    source = loaded.source if loaded is not None else None
    try:
        with open_store(resolve_url(options.db, source)) as store:
            outcome = record_and_alert(
                store,
                source,
                run,
                send=options.notify,
                run_failed=run_failed(run, options.allow_failure),
            )
            out.recorded = outcome.recorded
            out.store = store.safe_url
            if not outcome.recorded and options.update_verdict and run.verdict is not None:
                store.set_verdict(run.id, run.verdict)
            out.fired = outcome.fired
            out.deliveries = outcome.deliveries
            out.outcome = outcome
            if outcome.recorded:
                _record_maps(loaded, run, store, out)
            if options.triage and loaded is not None:
                _triage_outputs(loaded, run, options, out, store)
            if options.history_view:
                from testgate.history.view import history_view

                hist = source.config.history if source is not None else None
                out.history = history_view(
                    store,
                    branch=run.vcs.branch,
                    window=hist.window if hist else 50,
                    min_runs=hist.min_runs if hist else 5,
                    run=run,
                )
    except TestgateError as exc:
        out.errors.append(f"run not recorded in the history: {exc}")
        if options.triage and loaded is not None and out.triage is None:
            _triage_outputs(loaded, run, options, out, None)


def _triage_outputs(
    loaded: Loaded, run: Run, options: PersistOptions, out: Persisted, store: HistoryStore | None
) -> None:
    """Triage a run: the failure digest of a red run, the deployment block, the webhooks."""
    from testgate.triage import analyse
    from testgate.triage.block import update_block
    from testgate.triage.notify import notify_triage
    from testgate.triage.render import render_markdown

    settings = triage_settings(loaded)
    run_dir = loaded.state_dir / "runs" / run.id
    red = run_failed(run) or (run.verdict is not None and not run.verdict.passed)
    t = analyse(
        run,
        settings,
        root=loaded.root,
        run_dir=run_dir if run_dir.is_dir() else None,
        store=store,
    )
    out.triage = t
    digest = loaded.state_dir / "latest" / "failures.md"
    try:
        if options.latest and options.write:
            if red and settings.digest:
                digest.parent.mkdir(parents=True, exist_ok=True)
                tmp = digest.with_name(f".failures.md.{os.getpid()}.tmp")
                tmp.write_text(render_markdown(t), encoding="utf-8")
                os.replace(tmp, digest)
                out.digest = digest
            else:
                with contextlib.suppress(FileNotFoundError):
                    digest.unlink()  # a green run: the last red run's digest would mislead
        out.block = update_block(loaded.state_dir, t)
    except OSError as exc:
        out.errors.append(f"triage not written: {exc}")
    hooks = settings.escalation.webhooks
    if red and hooks and options.notify and t.clusters:
        project = run.project or loaded.source.config.project or ""
        out.triage_deliveries = notify_triage(t, hooks, project=project)


def _record_maps(loaded: Loaded | None, run: Run, store: HistoryStore, out: Persisted) -> None:
    """Store the per-test maps of the run's coverage.py data files (for selection)."""
    from testgate.select.recording import record_maps

    if not any(r.format == "coveragepy-data" for r in run.reports):
        return
    root = loaded.root if loaded is not None else Path.cwd()
    step_dirs: dict[str, Path] = {}
    if loaded is not None:
        from testgate.pipeline.plan import build_plan

        with contextlib.suppress(TestgateError):
            step_dirs = {s.key: s.cwd for s in build_plan(loaded.source).steps}
    out.maps, notes = record_maps(store, run, root=root, step_dirs=step_dirs)
    out.notes.extend(notes)


# ------------------------------------------------------------------------------------- select


@dataclass(slots=True)
class SelectOptions:
    """``testgate select``'s and ``testgate run --affected``'s options."""

    #: the base ref (``git merge-base HEAD BASE``); None: the upstream, else main/master
    base: str | None = None
    #: the head ref; None: the working tree (uncommitted edits count)
    head: str | None = None
    #: the history store holding the test maps; None: as for ``persist``
    db: str | None = None
    #: also compute each step's cache key and its inputs (for ``--explain``)
    keys: bool = False


def select(loaded: Loaded, options: SelectOptions | None = None) -> Selection:
    """What to run for the change from the base to the head, and why (never raises for
    missing data: it selects everything and says why). Each step's cache key is attached
    for ``--explain``."""
    from testgate.history.store import open_store, resolve_url
    from testgate.select.engine import SelectOptions as EngineOptions
    from testgate.select.engine import select as decide

    options = options or SelectOptions()
    root = loaded.root
    steps = _step_infos(loaded)
    store = None
    problem = None
    try:
        url = resolve_url(options.db, loaded.source)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
            # reading must not create a store: an empty one in memory says "no map yet"
            store = open_store("sqlite://")
            problem = f"no history store at {url[len('sqlite:///') :]} yet"
        else:
            store = open_store(url)
    except TestgateError as exc:
        problem = f"the history store cannot be read: {exc}"
    try:
        try:
            config_name = loaded.path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            config_name = loaded.path.name
        selection = decide(
            root=root,
            config_name=config_name,
            spec=loaded.source.config.selection,
            steps=steps,
            options=EngineOptions(base=options.base, head=options.head),
            store=store,
            store_problem=problem,
            cache_dir=loaded.state_dir / "grimp-cache",
        )
    finally:
        if store is not None:
            store.close()
    if problem:
        selection.notes.append(problem)
    if options.keys:
        _attach_keys(loaded, selection)
    return selection


def _attach_keys(loaded: Loaded, selection: Selection) -> None:
    from testgate import __version__
    from testgate.pipeline.cache import step_key
    from testgate.pipeline.plan import build_plan

    planned = build_plan(loaded.source).by_key()
    for choice in selection.steps:
        s = planned.get(choice.key)
        if s is None:
            continue
        if not s.cache or not loaded.source.config.cache.enabled:
            choice.key_inputs = ["not cached (the step cache is off: cache: true turns it on)"]
            continue
        key = step_key(
            root=loaded.root,
            cwd=s.cwd,
            command=s.display_command,
            env=dict(s.env),
            reports=[r.written for r in s.reports],
            inputs=list(s.inputs),
            version=__version__,
        )
        if key is None:
            choice.key_inputs = ["no key: not a git repository"]
            continue
        choice.cache_key = key.key
        choice.key_inputs = [
            f"command, env ({len(s.env)} variable(s)), testgate {__version__}",
            *key.inputs,
            f"{key.files} file(s)",
        ]


def _step_infos(loaded: Loaded) -> list[StepInfo]:
    from testgate.pipeline import facts
    from testgate.pipeline.plan import build_plan
    from testgate.select.engine import StepInfo, is_coverage_data

    root = loaded.root
    plan = build_plan(loaded.source, context=lambda: facts.expr_context(root))
    return [
        StepInfo(
            key=s.key,
            command=s.command,
            cwd=_rel_dir(s.cwd, root),
            paths=list(s.paths),
            maps_expected=any(is_coverage_data(r.written, r.format) for r in s.reports),
            unskippable=s.unskippable,
        )
        for s in plan.steps
    ]


@dataclass(slots=True)
class ReplayOptions:
    """``testgate select --replay``'s options."""

    db: str | None = None
    #: how many recorded runs to look at
    last: int = 20


def replay(loaded: Loaded, options: ReplayOptions | None = None) -> Audit:
    """The recall audit over the recorded full runs (see :mod:`testgate.select.replay`)."""
    from testgate.history.store import open_store, resolve_url
    from testgate.select.engine import SelectOptions as EngineOptions
    from testgate.select.engine import select as decide
    from testgate.select.replay import replay as audit

    options = options or ReplayOptions()
    steps = _step_infos(loaded)
    spec = loaded.source.config.selection.model_copy(
        update={"full_run_on_default_branch": False, "full_run_every": 0}
    )
    try:
        config_name = loaded.path.resolve().relative_to(loaded.root.resolve()).as_posix()
    except ValueError:
        config_name = loaded.path.name
    with open_store(resolve_url(options.db, loaded.source)) as store:

        def one(root: Path, base: str) -> Selection:
            return decide(
                root=root,
                config_name=config_name,
                spec=spec,
                steps=steps,
                options=EngineOptions(base=base, use_history=False),
                store=store,
                cache_dir=None,
            )

        return audit(store, root=loaded.root, last=options.last, decide=one)


def _rel_dir(path: Path, root: Path) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


def selection_hook(selection: Selection) -> Callable[[Plan], None]:
    """A plan hook (``RunOptions.plan_hooks``) that runs only what *selection* chose: steps
    skipped (``not affected: ...``), commands narrowed (jest, node, go), and each narrowed
    pytest step's ``pytest_plan`` given ``deselect`` and ``order`` for testgate's pytest
    plugin. Put it before the shard hook: a shard then splits only the selected tests."""
    by_key = {c.key: c for c in selection.steps}

    def hook(plan: Plan) -> None:
        for step in plan.steps:
            choice = by_key.get(step.key)
            if choice is None:
                continue
            if not choice.run:
                if step.skip_reason is None:
                    step.skip_reason = f"not affected: {choice.why}"
                continue
            if choice.command is not None:
                step.command = choice.command
            if choice.runner == "pytest" and (choice.deselect or choice.order):
                part: dict[str, Any] = {"order": list(choice.order)}
                if not choice.whole:
                    part["deselect"] = list(choice.deselect)
                step.pytest_plan = {**(step.pytest_plan or {}), **part}

    return hook


def selection_metrics(run: Run, selection: Selection) -> None:
    """Put the selection's outcome in the run's metrics: ``selection.full`` (1 or 0; a plain
    run has none, and counts as full for ``full_run_every``), ``selection.steps_skipped`` and
    ``selection.tests_deselected``."""
    run.metrics["selection.full"] = 1.0 if selection.full else 0.0
    run.metrics["selection.steps_skipped"] = float(sum(1 for s in selection.steps if not s.run))
    run.metrics["selection.tests_deselected"] = float(
        sum(len(s.deselect) for s in selection.steps if s.run and not s.whole)
    )


# ------------------------------------------------------------------------------------- render


def render(
    run: Run,
    targets: Iterable[tuple[str, Path | None]],
    ctx: RenderContext | None = None,
) -> list[Path]:
    """Write *run* in each ``(format, output)`` of *targets* through the renderer registry
    (built-in and plugin renderers alike); ``None`` or ``-`` as output is standard output."""
    from testgate.report.registry import RenderContext, default_renderers

    _plugins()
    registry = default_renderers()
    ctx = ctx or RenderContext()
    written: list[Path] = []
    for fmt, output in targets:
        written.extend(registry.get(fmt).write(run, output, ctx))
    return written


# ---------------------------------------------------------------------------------- exit code


def run_failed(run: Run, allow_failure: dict[str, bool] | None = None) -> bool:
    """Whether a step or a test failed: the one definition of a failed run.

    Steps marked ``allow_failure`` and their tests do not count, and neither do quarantined
    tests nor a step that failed only because its quarantined tests failed (as pytest's
    ``xfail``: the step's report names every failing test, and each is quarantined).
    """
    tolerated = {k for k, v in (allow_failure or {}).items() if v}
    quarantined_tests, quarantined_steps = run.quarantine_failures()
    for s in run.steps:
        key = f"{s.stage}/{s.name}"
        if key in tolerated or key in quarantined_steps:
            continue
        if s.status in ("failed", "timed_out", "cancelled"):
            return True
    excused = {id(t) for t in quarantined_tests}
    return any(
        t.status in ("failed", "error") and t.step not in tolerated and id(t) not in excused
        for t in run.tests
    )


def exit_code(
    execution: Execution | None = None,
    verdict: Verdict | None = None,
    persisted: Persisted | None = None,
    *,
    errors: Sequence[str] = (),
) -> ExitCode:
    """The one exit code of a command, by precedence: interrupted (130), an input, report,
    configuration or store error (2), a failed blocking gate (3; its table says why), failed
    steps or tests (1), else 0."""
    run = execution.run if execution is not None else None
    if run is not None and run.interrupted:
        return ExitCode.INTERRUPTED
    if errors or (execution is not None and execution.report_errors):
        return ExitCode.USAGE_ERROR
    if persisted is not None and persisted.errors:
        return ExitCode.USAGE_ERROR
    if verdict is not None and not verdict.passed:
        return ExitCode.GATE_FAILED
    ran = execution is not None and execution.pipeline is not None
    if ran and execution is not None and run_failed(execution.run, execution.allow_failure):
        return ExitCode.TESTS_FAILED
    return ExitCode.OK


def final_word(code: int) -> str:
    """The word the last line of ``testgate run`` starts with, for an exit code."""
    words: dict[int, str] = {
        ExitCode.OK: "PASSED",
        ExitCode.TESTS_FAILED: "FAILED",
        ExitCode.USAGE_ERROR: "ERROR",
        ExitCode.GATE_FAILED: "GATE FAILED",
        ExitCode.INTERRUPTED: "INTERRUPTED",
    }
    return words.get(int(code), "ERROR")
