"""``testgate triage``: a run's failures grouped by cause, biggest first, with owners."""

from __future__ import annotations

from pathlib import Path

import click

from testgate.cli._common import config_option, default_summary

__all__ = ["command"]


@click.command(
    "triage",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@config_option
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The run summary to triage (default: .testgate/latest/summary.json beside the config).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help='text for a terminal; json ({"clusters": [...]}) for scripts; markdown for the '
    "failure digest (a PR comment, $GITHUB_STEP_SUMMARY, or an AI agent).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="History store that names when each cause was first seen (default: TESTGATE_DB, "
    "history.url in the config, or .testgate/history.db beside it).",
)
@click.option("--no-history", is_flag=True, help="Do not read the history store.")
def command(
    config_path: str | None,
    summary_path: str | None,
    fmt: str,
    as_json: bool,
    output: str | None,
    db: str | None,
    no_history: bool,
) -> int:
    """Group a run's failures by cause and say who should look at them.

    Every failed or errored test gets a category (assertion, exception, timeout,
    infrastructure, collection, crash, or one of triage.categories) and a fingerprint; tests
    with one fingerprint are one cluster. Clusters come biggest first, each with its tests,
    the first lines of the failure, owners (escalation matrix and CODEOWNERS), severity, SLA
    and when the cause was first seen in the history. Failed steps that no test explains and
    failed blocking gates are clusters too.

    Exit codes: 0 the run has no failures, 1 it has (the clusters are printed), 2 an input,
    configuration or history-store error.
    """
    from testgate import workflow
    from testgate.cli._hist import load_optional_config
    from testgate.model import read_summary
    from testgate.triage.render import render

    source = load_optional_config(config_path)
    loaded = workflow.Loaded(source=source, gates=workflow.load_gates(source)) if source else None
    path = Path(summary_path) if summary_path else default_summary(config_path)
    run = read_summary(path)
    result = workflow.triage_report(
        loaded, run, workflow.TriageOptions(db=db, history=not no_history)
    )
    text = render(result, "json" if as_json else fmt)
    if output:
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"triage of run {run.id} written to {target}", err=True)
    else:
        click.echo(text, nl=False)
    return 1 if result.clusters else 0
