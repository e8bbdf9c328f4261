"""``testgate run``: run the pipeline, read its reports, gate, record and render the run.

Options, one call per workflow step (:mod:`testgate.workflow`), and printing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from testgate import workflow
from testgate.cli._common import config_option
from testgate.errors import TestgateError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["command"]


def _workers(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise click.BadParameter(f"must be at least 1, got {value}")
    return value


@click.command(
    "run",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@config_option
@click.option(
    "-j",
    "--workers",
    type=int,
    default=None,
    callback=_workers,
    metavar="N",
    help="Run at most N steps at once (default: the number of CPUs).",
)
@click.option(
    "--fail-fast",
    is_flag=True,
    help="On the first failing step, cancel everything not yet finished (running steps are "
    "killed).",
)
@click.option(
    "--stage",
    "stages",
    multiple=True,
    metavar="NAME",
    help="Run only this stage (repeatable; glob patterns work). Dependencies that are not "
    "selected are not run and do not block.",
)
@click.option(
    "--step",
    "steps",
    multiple=True,
    metavar="NAME",
    help="Run only this step (repeatable; 'name', 'stage/name' or a glob; a matrix step's "
    "base name selects all its combinations).",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print only the verdict line (and errors), no progress."
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write the run's self-contained HTML report to FILE.",
)
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="History store to record the run in (default: TESTGATE_DB, history.url in the config, "
    "or .testgate/history.db beside it).",
)
@click.option("--no-record", is_flag=True, help="Do not record the run in the history store.")
@click.option(
    "--bypass",
    default=None,
    metavar="REASON",
    help="Pass despite failing gates where enforcement.bypass_allowed is true. The exception is "
    "recorded with its reason, user and time: in the output, the summary, the HTML report and "
    "the history (the dashboard shows it). Failed tests still fail the run.",
)
@click.option(
    "--baseline",
    default=None,
    metavar="REF|FILE|none",
    help="The run the gates' trend and baseline_comparison criteria compare with, as for "
    "'testgate gate': a git ref whose last recorded run the history gives, a summary.json FILE, "
    "or 'none'. Default: the last recorded run of the base branch, at the merge-base when one "
    "was recorded.",
)
@click.option(
    "--affected",
    is_flag=True,
    help="Run only what the change can affect (as 'testgate select' decides): unaffected "
    "steps are skipped, pytest steps run only their selected tests, riskiest first.",
)
@click.option(
    "--base",
    default=None,
    metavar="REF",
    help="With --affected: compare with git merge-base HEAD REF (default: the upstream "
    "branch, else main or master).",
)
@click.option(
    "--cache/--no-cache",
    "cache",
    default=None,
    help="Replay steps whose cache key matches a green run's, or run every step (default: as "
    "cache: in the configuration says, off unless turned on; see docs/selection.md).",
)
@click.option(
    "--shard",
    metavar="I/N|auto",
    default=None,
    help="Run only shard I of N (numbered from 1): pytest steps run their share of the tests, "
    "jest/vitest/playwright get --shard=I/N, other steps run in shard 1 only unless "
    "every_shard: true. 'auto' reads CI_NODE_INDEX/CI_NODE_TOTAL (GitLab), "
    "BUILDKITE_PARALLEL_JOB/_COUNT, CIRCLE_NODE_INDEX/_TOTAL or JOB_COMPLETION_INDEX with "
    "--shards. Merge the shards' summaries with testgate merge.",
)
@click.option(
    "--shards",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="The number of shards, for --shard auto on a Kubernetes Indexed Job and for --emit.",
)
@click.option(
    "--shard-durations",
    metavar="FILE|GLOB",
    default=None,
    help="Split by these per-test durations (a pytest-split .test_durations file or test "
    "reports) instead of the history store's.",
)
@click.option(
    "--executor",
    metavar="SPEC",
    default=None,
    help="Where steps run: local, dask-local:N (a Dask cluster of N workers here) or "
    "tcp://HOST:PORT (a Dask scheduler). Default: executor: in the config, else local.",
)
@click.option(
    "--emit",
    type=click.Choice(["github-matrix"]),
    default=None,
    help="Print the GitHub Actions strategy.matrix JSON for --shards N shards and exit "
    "without running anything.",
)
def command(
    config_path: str | None,
    workers: int | None,
    fail_fast: bool,
    stages: tuple[str, ...],
    steps: tuple[str, ...],
    quiet: bool,
    html_path: str | None,
    db: str | None,
    no_record: bool,
    baseline: str | None,
    bypass: str | None,
    affected: bool,
    base: str | None,
    cache: bool | None,
    shard: str | None,
    shards: int | None,
    shard_durations: str | None,
    executor: str | None,
    emit: str | None,
) -> int:
    """Run the pipeline of testgate.yaml: stages and steps in parallel as their dependencies
    allow, services started when needed, every step's reports read into one run.

    Each step's output goes to .testgate/runs/<id>/logs/; the run is written to
    .testgate/runs/<id>/summary.json and copied to .testgate/latest/summary.json.

    When the configuration has gates they are evaluated over the run and their table printed;
    every run is recorded in the history store (unless --no-record) and its alerts fire.

    Exit codes: 0 every step and test passed, 1 a step or test failed, 2 a configuration or
    report error, 3 a blocking gate failed, 130 interrupted (the summary is still written).
    """
    from testgate.pipeline.output import make_console, make_progress, render_steps
    from testgate.pipeline.runner import RunOptions

    if emit is not None:
        return _emit(emit, shard, shards)
    loaded = workflow.load(config_path)
    console = make_console()
    err = make_console(stderr=True)
    selection = None
    if affected:
        selection = workflow.select(loaded, workflow.SelectOptions(base=base, db=db))
        if not quiet:
            what = "full run" if selection.full else "affected only"
            console.print(f"selection: {what}: {selection.reason}", markup=False, highlight=False)
    elif base is not None:
        raise click.UsageError("--base needs --affected")
    execution = workflow.execute(
        loaded,
        RunOptions(
            workers=workers,
            fail_fast=fail_fast,
            stages=stages,
            steps=steps,
            progress=make_progress(console, err, quiet=quiet),
            plan_hooks=[workflow.selection_hook(selection)] if selection else [],
            cache=cache,
        ),
        workflow.ScaleOptions(
            shard=shard, shards=shards, durations=shard_durations, db=db, executor=executor
        ),
    )
    run = execution.run
    if selection is not None:
        workflow.selection_metrics(run, selection)
    errors: list[str] = []
    verdict = None
    if workflow.has_gates(loaded) and not workflow.is_shard(run):
        import os

        approved = os.environ.get("TESTGATE_APPROVED", "") in ("1", "true", "yes")
        try:
            verdict = workflow.gate(
                loaded,
                run,
                workflow.GateOptions(approved=approved, baseline=baseline, db=db, bypass=bypass),
            )
        except TestgateError as exc:
            errors.append(f"gates not evaluated: {exc}")
    persisted = workflow.persist(
        loaded,
        run,
        workflow.PersistOptions(
            record=not no_record,
            db=db,
            history_view=bool(html_path) and not no_record,
            allow_failure=execution.allow_failure,
        ),
    )
    errors.extend(persisted.errors)
    if not quiet:
        for note in persisted.notes:
            err.print(f"testgate: note: {note}", markup=False, highlight=False)
        render_steps(console, run, execution.run_dir)
        if verdict is not None:
            from testgate.report.verdict import render_text

            console.print()
            # written as rendered: never through markup (test_x[a-b] stays), never re-wrapped
            text = render_text(
                verdict,
                color=console.is_terminal,
                width=console.width if console.is_terminal else None,
            )
            console.file.write(text)
            console.file.flush()
    if bypass and not workflow.has_gates(loaded):
        execution.warnings.append("--bypass: the configuration has no gates; nothing to bypass")
    if verdict is None:  # the verdict's table lists its warnings itself
        for line in execution.warnings:
            err.print(f"testgate: warning: {line}", markup=False, highlight=False)
    for line in errors:
        err.print(f"testgate: error: {line}", markup=False, highlight=False)
    _print_alerts(err, persisted)
    written: list[Path] = []
    if html_path:
        from testgate.report.data import log_tails
        from testgate.report.registry import RenderContext

        ctx = RenderContext(
            history=persisted.history,
            logs=log_tails(run, execution.run_dir),
            config=loaded.source,
        )
        try:
            written = workflow.render(run, [("html", Path(html_path))], ctx)
        except TestgateError as exc:
            errors.append(f"report not written: {exc}")
            err.print(f"testgate: error: report not written: {exc}", markup=False)
    code = workflow.exit_code(execution, verdict, persisted, errors=errors)
    if not quiet:
        for path in written:
            console.print(f"HTML report: {path}", markup=False, highlight=False)
    console.print(final_line(execution, code, persisted), markup=False, highlight=False)
    return int(code)


def _emit(what: str, shard: str | None, shards: int | None) -> int:
    import json
    import os

    from testgate.errors import UsageError
    from testgate.shard.ci import parse_shard
    from testgate.shard.steps import github_matrix

    total = shards or (parse_shard(shard, os.environ).total if shard else None)
    if total is None:
        raise UsageError(f"--emit {what}: say how many shards with --shards N")
    click.echo(json.dumps(github_matrix(total)))
    return 0


def _print_alerts(err: Console, persisted: workflow.Persisted) -> None:
    from testgate.history.alerts import alert_line

    for alert in persisted.fired:
        err.print(alert_line(alert.name, alert.severity, alert.message), markup=False)
        for d in alert.deliveries:
            if not getattr(d, "ok", True):
                why = d.error or f"HTTP {d.status}"
                err.print(
                    f"  webhook {d.url} not delivered after {d.attempts} attempt(s): {why}",
                    markup=False,
                )


def final_line(execution: workflow.Execution, code: int, persisted: workflow.Persisted) -> str:
    """The last line of ``testgate run``: the final outcome, gates included."""
    from testgate.pipeline.output import run_counts, shown_path

    run = execution.run
    parts = run_counts(run)
    if run.verdict is None and workflow.is_shard(run) and run.ci.shard_index is not None:
        parts.append(
            f"shard {run.ci.shard_index}/{run.ci.shard_total}: gates run on the merged run"
        )
    if run.verdict is not None:
        v = run.verdict
        failed = sum(1 for r in v.results if r.status == "fail" and r.blocking)
        state = f"{failed} blocking failed" if not v.passed else "passed"
        state = "bypassed" if v.bypassed else state
        parts.append(f"gates: {state}")
    n = len(execution.report_errors)
    if n:
        parts.append(f"{n} report{'s' if n != 1 else ''} could not be read")
    if persisted.summary is not None:
        parts.append(f"summary: {shown_path(persisted.summary)}")
    return f"testgate: {workflow.final_word(code)} · {' · '.join(parts)}"
