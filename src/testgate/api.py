"""testgate's Python API: what the commands do, as functions.

Every function here is one or a few calls of the workflow (:mod:`testgate.workflow`), the same
ones the command line makes, without printing. Errors a user can cause raise
:class:`~testgate.errors.TestgateError` (with ``exit_code`` and a docs ``slug``)::

    from testgate import api

    result = api.run("testgate.yaml", html="report.html")
    print(result.exit_code, result.run.metrics["tests.total"])
    verdict = api.gate("testgate.yaml", summary=".testgate/latest/summary.json")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate import workflow
from testgate.errors import ExitCode
from testgate.model import ReportData, ReportRef, Run, read_summary
from testgate.verdict import Verdict

if TYPE_CHECKING:
    from testgate.gates.backtest import Backtest
    from testgate.generate import GenerateResult
    from testgate.select.engine import Selection
    from testgate.triage import Triage

__all__ = [
    "RunResult",
    "backtest",
    "config_schema",
    "dashboard",
    "gate",
    "generate",
    "ingest",
    "merge",
    "metrics",
    "read_report",
    "record",
    "render",
    "run",
    "select",
    "serve",
    "shard_plan",
    "triage",
]


@dataclass(slots=True)
class RunResult:
    """What :func:`run` and :func:`ingest` did."""

    run: Run
    exit_code: ExitCode
    #: the summary file written
    summary: Path | None = None
    verdict: Verdict | None = None
    #: files the renderers wrote (the HTML report...)
    written: list[Path] = field(default_factory=list)
    #: problems that did not stop the command: unreadable reports, a store not reached
    errors: list[str] = field(default_factory=list)


def run(
    config: str | Path | None = None,
    *,
    workers: int | None = None,
    fail_fast: bool = False,
    stages: Sequence[str] = (),
    steps: Sequence[str] = (),
    record: bool = True,
    db: str | None = None,
    html: str | Path | None = None,
    affected: bool = False,
    base: str | None = None,
    cache: bool | None = None,
    shard: str | None = None,
    shard_durations: str | None = None,
    executor: str | None = None,
) -> RunResult:
    """``testgate run``: run the pipeline of *config*, gate the run, write its summary, record
    it in the history and (with *html*) write its HTML report. With *affected*, only what the
    change since *base* can affect runs (see :func:`select`); *cache* True replays steps the
    step cache holds, False runs every step, None does as ``cache:`` in the configuration says
    (off unless turned on).

    *shard* (``"2/4"`` or ``"auto"``) runs one shard of a sharded run (``shard_durations``:
    the timings to split by instead of the history's); *executor* (``"dask-local:4"``,
    ``"tcp://host:8786"``) runs the steps on a Dask cluster. See docs/scale-out.md.
    Signal handlers are installed only when called from the main thread.
    """
    from testgate.pipeline.runner import RunOptions
    from testgate.report.data import log_tails
    from testgate.report.registry import RenderContext

    loaded = workflow.load(config)
    selection = (
        workflow.select(loaded, workflow.SelectOptions(base=base, db=db)) if affected else None
    )
    execution = workflow.execute(
        loaded,
        RunOptions(
            workers=workers,
            fail_fast=fail_fast,
            stages=stages,
            steps=steps,
            plan_hooks=[workflow.selection_hook(selection)] if selection else [],
            cache=cache,
        ),
        workflow.ScaleOptions(shard=shard, durations=shard_durations, db=db, executor=executor),
    )
    if selection is not None:
        workflow.selection_metrics(execution.run, selection)
    gated = workflow.has_gates(loaded) and not workflow.is_shard(execution.run)
    verdict = workflow.gate(loaded, execution.run) if gated else None
    persisted = workflow.persist(
        loaded,
        execution.run,
        workflow.PersistOptions(record=record, db=db, history_view=bool(html) and record),
    )
    written: list[Path] = []
    if html:
        ctx = RenderContext(
            history=persisted.history, logs=log_tails(execution.run, execution.run_dir)
        )
        written = workflow.render(execution.run, [("html", Path(html))], ctx)
    errors = [*execution.report_errors, *persisted.errors]
    return RunResult(
        run=execution.run,
        exit_code=workflow.exit_code(execution, verdict, persisted),
        summary=persisted.summary,
        verdict=verdict,
        written=written,
        errors=errors,
    )


def select(
    config: str | Path | None = None,
    *,
    base: str | None = None,
    head: str | None = None,
    db: str | None = None,
) -> Selection:
    """``testgate select``: the steps and tests the change from ``git merge-base HEAD base``
    to *head* (default: the working tree) can affect, in run order, each with why. Never
    raises for missing data: ``Selection.full`` is then true and ``reason`` says why.
    ``Selection.to_dict()`` is the ``--format json`` document."""
    return workflow.select(
        workflow.load(config), workflow.SelectOptions(base=base, head=head, db=db, keys=True)
    )


def ingest(
    patterns: Sequence[str],
    *,
    output: str | Path = "summary.json",
    format: str | None = None,
    root: str | Path | None = None,
    keep_going: bool = False,
) -> RunResult:
    """``testgate ingest``: read report files made elsewhere (paths or globs) into one run
    and write its summary to *output*."""
    execution = workflow.ingest(
        patterns,
        workflow.IngestOptions(
            format=format, root=Path(root) if root else None, keep_going=keep_going
        ),
    )
    persisted = workflow.persist(
        None, execution.run, workflow.PersistOptions(summary=Path(output), record=False)
    )
    return RunResult(
        run=execution.run,
        exit_code=workflow.exit_code(execution),
        summary=persisted.summary,
        errors=list(execution.report_errors),
    )


def merge(summaries: Sequence[str | Path], *, output: str | Path = "merged.json") -> RunResult:
    """``testgate merge``: the summaries of every shard of a sharded run into one run, written
    to *output*. A missing or doubled shard, or shards that split the tests differently, raise
    :class:`~testgate.errors.InputError` naming it."""
    execution = workflow.merge(summaries)
    persisted = workflow.persist(
        None, execution.run, workflow.PersistOptions(summary=Path(output), record=False)
    )
    return RunResult(
        run=execution.run,
        exit_code=workflow.exit_code(execution, errors=persisted.errors),
        summary=persisted.summary,
    )


def shard_plan(
    shards: int,
    *,
    durations: str | None = None,
    by: str = "test",
    tests: str | Path | None = None,
    db: str | None = None,
) -> dict[str, Any]:
    """``testgate shard plan --json``: the split of the suite into *shards* balanced shards,
    from the history store (or *durations*: a ``.test_durations`` file or report globs)."""
    from testgate.shard.planning import PlanOptions, plan_shards

    plan = plan_shards(
        PlanOptions(
            shards=shards,
            durations=durations,
            by="file" if by == "file" else "test",
            tests=Path(tests) if tests is not None else None,
            db=db,
        )
    )
    return plan.to_dict()


def gate(
    config: str | Path | None = None,
    *,
    summary: str | Path | None = None,
    baseline: str | None = None,
    base: str | None = None,
    env: str | None = None,
    strict: bool = False,
    db: str | None = None,
) -> Verdict:
    """``testgate gate``: the verdict of *config*'s gates over a run summary (default: the
    last run's, ``.testgate/latest/summary.json`` beside the configuration). *baseline* is a
    git ref, a summary file or ``"none"``; by default the last recorded run of the base branch
    in the history store *db*."""
    loaded = workflow.load(config)
    path = Path(summary) if summary else loaded.state_dir / "latest" / "summary.json"
    run_ = read_summary(path)
    return workflow.gate(
        loaded,
        run_,
        workflow.GateOptions(baseline=baseline, base=base, env=env, strict=strict, db=db),
    )


def backtest(
    config: str | Path | None = None,
    *,
    last: int = 20,
    branch: str | None = None,
    db: str | None = None,
    env: str | None = None,
    strict: bool = False,
) -> Backtest:
    """``testgate gate --backtest``: *config*'s gates over the last *last* runs of *branch*
    that the history store recorded (``Backtest.rows``: per run the verdict and the deciding
    criteria; ``.blocked``, ``.fixed``; ``.to_dict()`` for JSON)."""
    return workflow.backtest(
        workflow.load(config),
        workflow.BacktestOptions(last=last, branch=branch, db=db, env=env, strict=strict),
    )


def metrics() -> list[dict[str, Any]]:
    """``testgate metrics --json``: every metric name a gate or an alert may use, by the
    adapters (and other sources) that give it, with its unit."""
    from testgate.adapters.registry import default_registry
    from testgate.gates.catalogue import by_source
    from testgate.plugins import get_plugins

    get_plugins()
    return [
        {
            "source": s.name,
            "kind": s.kind or None,
            "metrics": [
                {"name": m.pattern, "unit": m.unit, "description": m.description} for m in s.metrics
            ],
        }
        for s in by_source(default_registry())
    ]


def config_schema() -> dict[str, Any]:
    """``testgate schema``: the JSON Schema of ``testgate.yaml``."""
    from testgate.config.jsonschema import config_json_schema

    return config_json_schema()


def record(
    summary: str | Path, *, config: str | Path | None = None, db: str | None = None
) -> workflow.Persisted:
    """``testgate history record``: record a run summary in the history store and fire the
    configured alerts. Problems reaching the store are in ``Persisted.errors``."""
    loaded = workflow.load(config) if config is not None else None
    return workflow.persist(
        loaded, read_summary(summary), workflow.PersistOptions(write=False, db=db)
    )


def render(summary: str | Path, format: str, output: str | Path | None = None) -> list[Path]:
    """``testgate report``: render a run summary in any registered format (``html``,
    ``markdown``, ``badge``, ``junit``, ``gate-json``, a plugin's); returns the files written."""
    return workflow.render(
        read_summary(summary), [(format, Path(output) if output is not None else None)]
    )


def read_report(
    path: str | Path, *, format: str | None = None, root: str | Path | None = None
) -> tuple[ReportData, ReportRef]:
    """Read one report file (its format detected from its content unless *format* is given)."""
    from testgate.adapters.registry import ReadContext
    from testgate.adapters.registry import read_report as _read
    from testgate.plugins import get_plugins

    get_plugins()
    ctx = ReadContext(root=Path(root)) if root is not None else None
    return _read(path, format=format, ctx=ctx)


def dashboard(
    *, db: str | None = None, config: str | Path | None = None, token: str | None = None
) -> Any:
    """The dashboard as an ASGI application (FastAPI) over the history store *db* (default:
    ``TESTGATE_DB``, ``history.url`` of *config*, ``.testgate/history.db`` beside it), for
    embedding in a server of your own. With *token*, every request must present it."""
    from testgate.history.store import open_store, resolve_url
    from testgate.server.app import create_app

    loaded = workflow.load(config) if config is not None else None
    source = loaded.source if loaded is not None else None
    store = open_store(resolve_url(db, source))
    hist = source.config.history if source is not None else None
    return create_app(
        store,
        token=token,
        window=hist.window if hist else 50,
        min_runs=hist.min_runs if hist else 5,
    )


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    db: str | None = None,
    config: str | Path | None = None,
    token: str | None = None,
) -> None:
    """``testgate serve``: serve the dashboard, its JSON API and Prometheus metrics until
    interrupted. Any address other than loopback needs a *token*."""
    import uvicorn

    from testgate.errors import UsageError
    from testgate.server.app import is_loopback

    if not is_loopback(host) and not token:
        raise UsageError(
            f"refusing to serve on {host}: the dashboard binds only loopback addresses unless "
            "a token is set"
        )
    uvicorn.run(dashboard(db=db, config=config, token=token), host=host, port=port)


def triage(
    summary: str | Path | None = None,
    *,
    config: str | Path | None = None,
    db: str | None = None,
    history: bool = True,
) -> Triage:
    """``testgate triage``: a run's failures grouped by cause (biggest first), each with
    category, tests, owners, severity, SLA and when the cause was first seen in the history.

    *summary* defaults to ``.testgate/latest/summary.json`` beside *config*; render the result
    with :func:`testgate.triage.render` (``text``, ``json``, ``markdown``).
    """
    loaded = workflow.load(config) if config is not None else None
    if summary is None:
        base = loaded.state_dir if loaded is not None else Path(".testgate")
        summary = base / "latest" / "summary.json"
    return workflow.triage_report(
        loaded, read_summary(summary), workflow.TriageOptions(db=db, history=history)
    )


def generate(
    src: str | Path,
    tests: str | Path = "tests/generated",
    *,
    dry_run: bool = False,
    force: bool = False,
    integration: bool = False,
) -> GenerateResult:
    """``testgate generate``: write property tests, stubs and (with *integration*) route smoke
    tests for the public API of the package at *src* into *tests*."""
    from testgate.generate import generate as _generate

    return _generate(Path(src), Path(tests), dry_run=dry_run, force=force, integration=integration)
