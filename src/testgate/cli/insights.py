"""``testgate insights``: the improvement plan from the history."""

from __future__ import annotations

import json

import click

from testgate.cli._hist import analysed_branch, db_options, open_for_cli, window_options

__all__ = ["command"]


@click.command("insights")
@db_options
@window_options
@click.option(
    "--top",
    "-n",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="At most this many items per kind of improvement.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def command(
    db: str | None,
    config_path: str | None,
    branch: str | None,
    all_branches: bool,
    window: int | None,
    top: int,
    as_json: bool,
) -> int:
    """An improvement plan: slow tests to optimise or parallelise, flaky tests to fix or
    quarantine, and coverage gaps to fill (critical paths first), each with its evidence."""
    from testgate.history.insights import build_insights, render_insights

    store, loaded = open_for_cli(db, config_path, create=False)
    with store:
        choice = analysed_branch(store, loaded, branch, all_branches)
        doc = build_insights(store, loaded, branch=choice.branch, window=window, top=top)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_insights(doc), nl=False)
    return 0
