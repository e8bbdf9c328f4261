"""``testgate merge``: the shards' summaries into one run."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command(
    "merge", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.argument("summaries", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Where to write the merged summary.json.",
)
def command(summaries: tuple[str, ...], output: str) -> int:
    """Merge the summary.json of every shard of a run (testgate run --shard I/N) into one run
    that testgate gate, report and history record take like any other.

    Each test is kept once, coverage is merged line by line, findings once, performance and
    other report metrics are kept, and each step gets the worst result of its shards. A
    missing or doubled shard, shards of different commits or of different test splits, and a
    test that ran in two shards are errors that name the shard or test.

    Exit codes: 0 merged (failed tests are the gate's business: run testgate gate on the
    result), 2 the summaries do not make one run.
    """
    from testgate import workflow
    from testgate.pipeline.output import run_counts

    execution = workflow.merge(summaries)
    run = execution.run
    persisted = workflow.persist(
        None, run, workflow.PersistOptions(summary=Path(output), record=False)
    )
    click.echo(
        f"merged {run.ci.shard_total} shards into run {run.id}: {' · '.join(run_counts(run))}"
    )
    click.echo(f"summary written to {persisted.summary}")
    return int(workflow.exit_code(execution, errors=persisted.errors))
