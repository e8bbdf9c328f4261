"""``testgate shard``: plan balanced shards from known per-test durations."""

from __future__ import annotations

from pathlib import Path

import click

from testgate.cli._common import config_option

__all__ = ["command"]


@click.group("shard", context_settings={"help_option_names": ["-h", "--help"]})
def command() -> None:
    """Split a suite into balanced shards for parallel CI machines (see docs/scale-out.md)."""


@command.command("plan", context_settings={"max_content_width": 100})
@click.option(
    "--shards",
    "-n",
    type=click.IntRange(1),
    required=True,
    metavar="N",
    help="How many shards (CI machines) to split into.",
)
@click.option(
    "--durations",
    metavar="FILE|GLOB",
    default=None,
    help="Per-test durations: a pytest-split .test_durations file, or test report files "
    "(a path or a quoted glob such as 'reports/*.xml'). Default: the history store (the "
    "median of each test's last 20 recorded runs before this commit).",
)
@click.option(
    "--by",
    type=click.Choice(["test", "file"]),
    default="test",
    show_default=True,
    help="Split single tests, or whole files (a file's tests stay on one shard).",
)
@click.option(
    "--tests",
    "tests_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="The tests to split, one id a line (e.g. the output of pytest --collect-only -q); "
    "tests without a duration are estimated from their file's median, else the suite's. "
    "Default: every test with a known duration.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--db",
    metavar="URL",
    default=None,
    help="History store to read durations from (default: TESTGATE_DB, history.url in the "
    "config, or .testgate/history.db beside it).",
)
@config_option
def plan_cmd(
    shards: int,
    durations: str | None,
    by: str,
    tests_file: Path | None,
    as_json: bool,
    db: str | None,
    config_path: str | None,
) -> int:
    """Plan N shards: longest test first onto the least loaded shard, then moves and swaps
    between the heaviest shard and lighter ones while that shortens the heaviest.

    --json prints {"shards": [{"index": 1, "tests": [...], "expected_s": ...}, ...],
    "imbalance": ...} (shards numbered from 1; imbalance is the largest shard over the ideal
    share). The same input always gives the same plan.
    """
    from testgate.cli._hist import load_optional_config
    from testgate.shard.planning import PlanOptions, plan_shards

    plan = plan_shards(
        PlanOptions(
            shards=shards,
            durations=durations,
            by="file" if by == "file" else "test",
            tests=tests_file,
            db=db,
            config=load_optional_config(config_path) if durations is None else None,
        )
    )
    if as_json:
        click.echo(plan.to_json())
        return 0
    unit = "files" if plan.by == "file" else "tests"
    count = sum(len(s.tests) for s in plan.shards)
    click.echo(f"{count} {unit} in {plan.total} shards; durations from {plan.source}")
    if plan.estimated:
        click.echo(f"{len(plan.estimated)} {unit} without a recorded duration were estimated")
    for s in plan.shards:
        count_s = f"{len(s.tests):>6} {unit}"
        click.echo(f"  shard {s.index}/{plan.total}: {count_s}  {s.expected_s:10.2f}s")
    click.echo(
        f"imbalance {plan.imbalance:.4f} (largest shard / ideal); lower bound "
        f"{plan.lower_bound_s:.2f}s"
    )
    return 0
