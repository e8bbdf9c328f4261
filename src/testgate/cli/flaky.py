"""``testgate flaky``: flaky and broken tests in the history."""

from __future__ import annotations

import json

import click

from testgate.cli._hist import (
    analysed_branch,
    db_options,
    fmt_time,
    open_reader_for_cli,
    print_table,
    table,
    window_options,
)

__all__ = ["command"]


@click.command("flaky")
@db_options
@window_options
@click.option(
    "--min-runs",
    type=click.IntRange(1),
    default=None,
    help="Results a test needs before a flip-rate verdict [default: history.min_runs, 5].",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"flaky": [...], "broken": [...]} as JSON.'
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Print quarantine entries and pytest/jest arguments that skip the flaky tests.",
)
def command(
    db: str | None,
    config_path: str | None,
    branch: str | None,
    all_branches: bool,
    window: int | None,
    min_runs: int | None,
    as_json: bool,
    suggest: bool,
) -> int:
    """Find flaky tests (passed on a retry, both outcomes on one commit, or a high flip rate)
    and broken ones (failing in every run since a commit, which is named).

    Runs where most tests failed at once (an outage) are left out of the scores.
    """
    from datetime import date

    from testgate.history.flaky import FlakyParams, find_flaky
    from testgate.history.flaky import suggest as make_suggestion

    store, loaded = open_reader_for_cli(db, config_path)
    hist = loaded.config.history if loaded is not None else None
    params = FlakyParams(
        window=window or (hist.window if hist else 50),
        min_runs=min_runs or (hist.min_runs if hist else 5),
    )
    with store:
        choice = analysed_branch(store, loaded, branch, all_branches)
        branch = choice.branch
        report = find_flaky(store, params, branch=branch)
        infos = store.test_infos([v.test for v in report.flaky]) if suggest else {}
    if suggest:
        click.echo(make_suggestion(report, infos, today=date.today()), nl=False)
        return 0
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return 0
    click.echo(
        f"{report.runs_analysed} runs analysed {choice.describe()}"
        + (f"; {len(report.outage_runs)} outage run(s) left out" if report.outage_runs else "")
    )
    if not report.flaky and not report.broken:
        click.echo("no flaky or broken tests")
        return 0
    if report.flaky:
        t = table(
            "test",
            "score",
            "flips",
            "failures",
            "runs",
            "signals",
            "last seen",
            title=f"flaky ({len(report.flaky)})",
        )
        for v in report.flaky:
            t.add_row(
                v.test,
                f"{v.score:.2f}",
                str(v.flips),
                str(v.failures),
                str(v.runs),
                ",".join(v.signals),
                fmt_time(v.last_seen),
            )
        print_table(t)
    if report.broken:
        t = table(
            "test",
            "since commit",
            "since run",
            "failing runs",
            title=f"broken ({len(report.broken)})",
        )
        for v in report.broken:
            t.add_row(v.test, (v.since_commit or "?")[:12], v.since_run or "?", str(v.streak))
        print_table(t)
    return 0
