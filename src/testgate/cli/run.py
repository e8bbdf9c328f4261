"""``testgate run``: run the pipeline, read its reports, write the run's summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from testgate.cli._common import config_option

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.gates.evaluate import Verdict
    from testgate.model import Run
    from testgate.report.data import HistoryView

__all__ = ["combine_exit_codes", "command", "evaluate_gates", "record_history"]


def evaluate_gates(loaded: LoadedConfig, run: Run) -> tuple[int | None, Verdict | None]:
    """Evaluate the configuration's gates over the finished *run* (before its summary is written).

    Sets ``run.verdict`` and returns ``(ExitCode.GATE_FAILED, verdict)`` when a blocking gate
    failed, ``(None, verdict)`` when the gates passed, and ``(None, None)`` without gates. A
    gate definition error is printed and gives exit code 2; the run's summary is still written.
    """
    cfg = loaded.config
    if not cfg.gates:
        return None, None
    import os

    from testgate.cli.gate import GateOptions, evaluate_for_run
    from testgate.errors import ExitCode, TestgateError

    approved = os.environ.get("TESTGATE_APPROVED", "") in ("1", "true", "yes")
    try:
        verdict = evaluate_for_run(loaded, run, GateOptions(approved=approved))
    except TestgateError as exc:
        click.echo(f"testgate: error: gates not evaluated: {exc}", err=True)
        return int(ExitCode.USAGE_ERROR), None
    return (None if verdict.passed else int(ExitCode.GATE_FAILED)), verdict


def record_history(
    loaded: LoadedConfig, run: Run, db: str | None, *, with_view: bool = False
) -> tuple[int | None, HistoryView | None]:
    """Record the written run in the history store, print the alerts it fired and, with
    *with_view*, return the branch's history for the HTML report from the same open store.

    A store that cannot be opened is one error line and exit code 2; the summary is already
    written, so nothing of the run is lost.
    """
    from testgate.errors import ExitCode, TestgateError
    from testgate.history.recording import record_and_alert
    from testgate.history.store import open_store, resolve_url
    from testgate.report.history_view import history_view

    view = None
    try:
        with open_store(resolve_url(db, loaded)) as store:
            fired = record_and_alert(store, loaded, run).fired
            if with_view:
                hist = loaded.config.history
                view = history_view(
                    store, branch=run.vcs.branch, window=hist.window, min_runs=hist.min_runs
                )
    except TestgateError as exc:
        click.echo(f"testgate: error: run not recorded in the history: {exc}", err=True)
        return int(ExitCode.USAGE_ERROR), None
    for alert in fired:
        click.echo(f"alert [{alert.severity}] {alert.name}: {alert.message}", err=True)
        for d in alert.deliveries:
            if not getattr(d, "ok", True):
                why = d.error or f"HTTP {d.status}"
                click.echo(
                    f"  webhook {d.url} not delivered after {d.attempts} attempt(s): {why}",
                    err=True,
                )
    return None, view


def combine_exit_codes(pipeline: int, gate: int | None, other: int | None) -> int:
    """One exit code: interrupted, then a usage/config/report error, then a failed blocking
    gate (its table says why), then failed steps or tests, then success."""
    codes = [c for c in (pipeline, gate, other) if c]
    for code in (130, 2, 3, 1):
        if code in codes:
            return code
    return max(codes, default=0)


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
    from testgate.config.loader import load_config
    from testgate.pipeline.output import make_console, make_progress, render_end
    from testgate.pipeline.runner import RunOptions, execute_pipeline

    loaded = load_config(config_path)
    console = make_console()
    err = make_console(stderr=True)
    gate: list[tuple[int | None, Verdict | None]] = [(None, None)]

    def gates(run: Run) -> None:
        gate[0] = evaluate_gates(loaded, run)

    outcome = execute_pipeline(
        loaded,
        RunOptions(
            workers=workers,
            fail_fast=fail_fast,
            stages=stages,
            steps=steps,
            progress=make_progress(console, err, quiet=quiet),
            before_write=gates,
        ),
    )
    render_end(console, outcome, quiet=quiet)
    gate_code, verdict = gate[0]
    if verdict is not None and not quiet:
        from testgate.gates.render import render_text

        console.print()
        console.print(render_text(verdict, color=console.is_terminal), highlight=False)
    other: int | None = None
    history = None
    if not no_record:
        other, history = record_history(loaded, outcome.run, db, with_view=bool(html_path))
    if html_path:
        from testgate.report.data import log_tails
        from testgate.report.html import render_html

        target = Path(html_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        logs = log_tails(outcome.run, outcome.run_dir)
        html = render_html(outcome.run, history=history, logs=logs)
        target.write_text(html, encoding="utf-8")
        if not quiet:
            console.print(f"HTML report: {target}")
    return combine_exit_codes(outcome.exit_code, gate_code, other)
