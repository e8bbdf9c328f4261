"""``testgate select``: what to run for a change, and why; ``--replay`` audits its recall."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from testgate import workflow
from testgate.cli._common import config_option

if TYPE_CHECKING:
    from testgate.select.engine import Selection

__all__ = ["command"]


@click.command(
    "select",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@config_option
@click.option(
    "--base",
    default=None,
    metavar="REF",
    help="Compare with git merge-base HEAD REF (default: the upstream branch, else "
    "origin's default branch, else main or master).",
)
@click.option(
    "--head",
    default=None,
    metavar="REF",
    help="The change's head (default: the working tree, so uncommitted edits count).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "pytest"]),
    default="text",
    show_default=True,
    help="text for people; json: {full, reason, steps, tests}; pytest: one node id a line "
    "(nothing when everything runs).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--explain",
    is_flag=True,
    help="Say, per step and per test, why it runs or is skipped, and each step's cache key inputs.",
)
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="History store holding the test maps (default: TESTGATE_DB, history.url in the "
    "config, or .testgate/history.db beside it).",
)
@click.option(
    "--replay",
    is_flag=True,
    help="Audit instead: replay the recorded full runs and report the recall (did the "
    "selection include every test that newly failed?), the fraction selected and every miss.",
)
@click.option(
    "--last",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    metavar="N",
    help="With --replay: the last N recorded runs.",
)
def command(
    config_path: str | None,
    base: str | None,
    head: str | None,
    fmt: str,
    as_json: bool,
    explain: bool,
    db: str | None,
    replay: bool,
    last: int,
) -> int:
    """Select the steps and tests a change can affect, riskiest first.

    The change is what differs between git merge-base HEAD BASE (or the newest commit
    before it with a recorded test map) and the head. pytest steps are narrowed to single
    tests by the test map that 'testgate run' records from coverage.py's per-test contexts;
    jest steps get --findRelatedTests; node --test and go test steps run the changed test
    files. With nothing to go on (no map yet, an unknown base, a safety file changed)
    everything is selected and the reason says why: never fewer tests because data is
    missing. See docs/selection.md.

    Exit code 0 (also when everything is selected); 2 for a configuration error.
    """
    loaded = workflow.load(config_path)
    if replay:
        return _replay(loaded, db, last, as_json or fmt == "json")
    selection = workflow.select(
        loaded, workflow.SelectOptions(base=base, head=head, db=db, keys=explain)
    )
    if as_json or fmt == "json":
        click.echo(json.dumps(selection.to_dict(), indent=2))
        return 0
    if fmt == "pytest":
        whole = [s.key for s in selection.steps if s.runner == "pytest" and s.run and s.whole]
        if selection.full or whole:
            # nothing printed: 'pytest $(testgate select --format pytest)' runs everything
            why = selection.reason if selection.full else "whole: " + ", ".join(whole)
            click.echo(f"testgate: every test runs ({why})", err=True)
            return 0
        for t in selection.tests:
            click.echo(t.id)
        return 0
    _print_text(selection, explain)
    return 0


def _print_text(selection: Selection, explain: bool) -> None:
    if selection.full:
        click.echo(f"full run: {selection.reason}")
    else:
        click.echo(f"selection: {selection.reason}")
    for s in selection.steps:
        state = "run" if s.run else "skip"
        scope = "" if not s.run else (" (whole)" if s.whole else " (narrowed)")
        click.echo(f"  {state:4} {s.key} [{s.runner}]{scope}: {s.why}")
        if explain:
            if s.command is not None:
                shown = s.command if isinstance(s.command, str) else " ".join(s.command)
                click.echo(f"         command: {shown}")
            if s.cache_key is not None:
                click.echo(f"         cache key {s.cache_key[:16]} from: {'; '.join(s.key_inputs)}")
            elif s.key_inputs:
                click.echo(f"         cache: {'; '.join(s.key_inputs)}")
    if selection.tests:
        click.echo(f"tests ({len(selection.tests)}, in run order):")
        for t in selection.tests:
            line = f"  {t.id}"
            if explain:
                line += f"  (risk {t.risk:.2f}) {t.why}"
            click.echo(line)
    if explain:
        for s in selection.steps:
            for nodeid, why in s.skipped:
                click.echo(f"  skipped {nodeid}: {why}")
    for note in selection.notes:
        click.echo(f"note: {note}")


def _replay(loaded: workflow.Loaded, db: str | None, last: int, as_json: bool) -> int:
    audit = workflow.replay(loaded, workflow.ReplayOptions(db=db, last=last))
    if as_json:
        click.echo(json.dumps(audit.to_dict(), indent=2))
        return 0
    for line in audit.lines():
        click.echo(line)
    return 0
