"""``testgate report``: render a run summary as HTML, Markdown, badges or JUnit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from testgate.cli._common import config_option, default_summary

if TYPE_CHECKING:
    from testgate.history.view import HistoryView
    from testgate.model import Run

__all__ = ["command", "history_for", "run_dir_of"]


def run_dir_of(summary: Path, run_id: str) -> Path | None:
    """The run directory holding the step logs of *summary*, when it is on this machine."""
    here = summary.resolve().parent
    for candidate in (here, here.parent / "runs" / run_id):
        if (candidate / "logs").is_dir():
            return candidate
    return None


def history_for(
    db: str | None, config_path: str | None, branch: str | None, run: Run | None = None
) -> HistoryView | None:
    """The history of *branch* from the store the options name, or None when there is none;
    with *run*, the history marks of its failed tests."""
    from testgate.cli._hist import open_for_cli
    from testgate.history.view import history_view

    store, loaded = open_for_cli(db, config_path, create=False)
    try:
        hist = loaded.config.history if loaded else None
        return history_view(
            store,
            branch=branch,
            window=hist.window if hist else 50,
            min_runs=hist.min_runs if hist else 5,
            run=run,
        )
    finally:
        store.close()


@click.command(
    "report",
    help="Render a run as a self-contained HTML report, Markdown (for pull requests and "
    "$GITHUB_STEP_SUMMARY), SVG badges or one merged JUnit XML.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The run's summary.json (default: .testgate/latest/summary.json beside the config).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    default="html",
    show_default=True,
    help="Output format: html, markdown, badge or junit (see 'testgate report --list').",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="Output file (a directory for badges). Default: report.html for html, badges/ for "
    "badge, standard output for markdown and junit. '-' is standard output.",
)
@click.option(
    "--step-summary",
    is_flag=True,
    help="Also append Markdown to the file named by $GITHUB_STEP_SUMMARY, when it is set.",
)
@click.option("--list", "list_formats", is_flag=True, help="List the formats and exit.")
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="History store for the HTML report's trends, flaky and slow tests (default: "
    "TESTGATE_DB, history.url in the config, or .testgate/history.db beside it, when it exists).",
)
@click.option(
    "--no-history",
    is_flag=True,
    help="Leave the history out: the HTML report's trends, the history marks of failed tests "
    "(new, broken since, flaky, fixed) in HTML, Markdown, GitHub annotations and the merged "
    "JUnit that GitLab and Jenkins show.",
)
@click.option(
    "--dashboard-url",
    envvar="TESTGATE_DASHBOARD_URL",
    default=None,
    help="The dashboard (testgate serve) to link runs to: the HTML report's chart tooltips "
    "link each run to URL/runs/ID. Default: $TESTGATE_DASHBOARD_URL; without it, no links.",
)
@config_option
def command(
    summary_path: str | None,
    fmt: str,
    output: str | None,
    step_summary: bool,
    list_formats: bool,
    db: str | None,
    no_history: bool,
    dashboard_url: str | None,
    config_path: str | None,
) -> int:
    import os

    from testgate import workflow
    from testgate.model import read_summary
    from testgate.plugins import get_plugins
    from testgate.report.data import log_tails
    from testgate.report.registry import RenderContext, default_renderers

    get_plugins()
    registry = default_renderers()
    if list_formats:
        for name in registry.names():
            click.echo(f"{name:14} {registry.get(name).description}")
        return 0
    registry.get(fmt)  # an unknown format is refused before anything is read
    summary = Path(summary_path) if summary_path else default_summary(config_path)
    run = read_summary(summary)
    from testgate.cli._hist import load_optional_config

    # review formats (SARIF, Code Quality) point failed criteria at their line in the config
    ctx = RenderContext(
        logs=log_tails(run, run_dir_of(summary, run.id)),
        config=load_optional_config(config_path),
        dashboard_url=dashboard_url,
    )
    if (fmt in ("html", "markdown", "github", "junit") or step_summary) and not no_history:
        ctx.history = history_for(db, config_path, run.vcs.branch, run)
    written = workflow.render(run, [(fmt, Path(output) if output else None)], ctx)
    for p in written:
        click.echo(f"wrote {p}", err=True)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and target:
        ctx.append = True
        workflow.render(run, [("markdown", Path(target))], ctx)
        click.echo(f"appended Markdown to {target}", err=True)
    return 0
