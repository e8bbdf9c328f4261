"""``testgate run``: run the pipeline, read its reports, write the run's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from testgate.cli._common import config_option

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.model import Run

__all__ = ["command", "evaluate_gates"]


def evaluate_gates(loaded: LoadedConfig, run: Run) -> int | None:
    """Evaluate the configuration's gates over the finished *run* (before its summary is written).

    The gates box plugs in here: set ``run.verdict`` and return ``ExitCode.GATE_FAILED`` when a
    blocking gate failed, or None when there is nothing to say.
    """
    return None


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
def command(
    config_path: str | None,
    workers: int | None,
    fail_fast: bool,
    stages: tuple[str, ...],
    steps: tuple[str, ...],
    quiet: bool,
) -> int:
    """Run the pipeline of testgate.yaml: stages and steps in parallel as their dependencies
    allow, services started when needed, every step's reports read into one run.

    Each step's output goes to .testgate/runs/<id>/logs/; the run is written to
    .testgate/runs/<id>/summary.json and copied to .testgate/latest/summary.json.

    Exit codes: 0 every step and test passed, 1 a step or test failed, 2 a configuration or
    report error, 3 a blocking gate failed, 130 interrupted (the summary is still written).
    """
    from testgate.config.loader import load_config
    from testgate.pipeline.output import make_console, make_progress, render_end
    from testgate.pipeline.runner import RunOptions, execute_pipeline

    loaded = load_config(config_path)
    console = make_console()
    err = make_console(stderr=True)
    gate_code: list[int | None] = [None]

    def gates(run: Run) -> None:
        gate_code[0] = evaluate_gates(loaded, run)

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
    code = outcome.exit_code
    if code == 0 and gate_code[0]:
        return gate_code[0]
    return code
