"""``testgate slow``: slow and slowing tests in the history."""

from __future__ import annotations

import json

import click

from testgate.cli._hist import (
    analysed_branch,
    db_options,
    open_reader_for_cli,
    print_table,
    table,
    window_options,
)

__all__ = ["command"]


@click.command("slow")
@db_options
@window_options
@click.option(
    "--top",
    "-n",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="How many tests to list by total time.",
)
@click.option(
    "--factor",
    type=click.FloatRange(1.0, min_open=True),
    default=1.5,
    show_default=True,
    help="Recent median / earlier median above which a test is slowing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    db: str | None,
    config_path: str | None,
    branch: str | None,
    all_branches: bool,
    window: int | None,
    top: int,
    factor: float,
    as_json: bool,
) -> int:
    """Per-test p50 and p95 durations, the tests taking the most time in total, and the
    tests that got slower by more than --factor (recent median against earlier median)."""
    from testgate.history.slow import SlowParams, find_slow

    store, loaded = open_reader_for_cli(db, config_path)
    hist = loaded.config.history if loaded is not None else None
    params = SlowParams(window=window or (hist.window if hist else 50), top=top, factor=factor)
    with store:
        choice = analysed_branch(store, loaded, branch, all_branches)
        report = find_slow(store, params, branch=choice.branch)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return 0
    click.echo(
        f"{report.runs_analysed} runs, {report.tests_analysed} tests analysed "
        f"{choice.describe()}; "
        f"{report.total_s:.1f}s of test time in all"
    )
    if not report.top:
        return 0
    t = table(
        "test",
        "total s",
        "share",
        "p50 s",
        "p95 s",
        "runs",
        title=f"top {len(report.top)} by total time",
    )
    for x in report.top:
        t.add_row(
            x.test,
            f"{x.total_s:.2f}",
            f"{x.share:.0%}",
            f"{x.p50_s:.3f}",
            f"{x.p95_s:.3f}",
            str(x.runs),
        )
    print_table(t)
    if report.rising:
        r = table(
            "test",
            "earlier p50 s",
            "recent p50 s",
            "factor",
            title=f"slowing by more than {factor:g}x",
        )
        for x in report.rising:
            r.add_row(
                x.test,
                f"{x.earlier_p50_s or 0:.3f}",
                f"{x.recent_p50_s or 0:.3f}",
                f"{x.ratio or 0:.2f}x",
            )
        print_table(r)
    else:
        click.echo(f"no test got slower by more than {factor:g}x")
    return 0
