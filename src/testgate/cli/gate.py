"""``testgate gate``: evaluate the quality gates over a run summary and say why.

Exit codes: 0 the verdict passes, 3 a blocking gate failed (or, with ``--strict``, any gate
failed or warned), 2 a configuration, input or usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from testgate.cli._common import config_option

if TYPE_CHECKING:
    from testgate.workflow import Loaded

__all__ = ["GATE_FORMATS", "command"]

#: the short names ``gate --format`` takes for the verdict renderers (``gate-<name>``);
#: any other registered renderer (sarif, a plugin's) is taken by its own name
GATE_FORMATS = ("text", "json", "markdown", "github", "junit")


@click.command(
    "gate",
    help=(
        "Evaluate the quality gates of the configuration over a run summary and print a verdict: "
        "one row per criterion with the actual value, the threshold, the status and, for a "
        "failure, the first thing to look at. Exit 0 when the verdict passes, 3 when a blocking "
        "gate fails, 2 for a configuration or input error."
    ),
)
@config_option
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The run summary to gate (default: .testgate/latest/summary.json beside the config).",
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    metavar="FORMAT",
    help="Output: text (a table), json, markdown (PR comments, $GITHUB_STEP_SUMMARY), github "
    "(annotations), junit (one test case per criterion), sarif (SARIF 2.1.0), codequality "
    "(GitLab Code Quality), checkstyle, or any renderer that 'testgate report --list' shows "
    "(plugins included).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the output to FILE (the text table is still printed).",
)
@click.option(
    "--baseline",
    default=None,
    metavar="REF|FILE|none",
    help="The run trend and baseline_comparison criteria compare with: a git ref (branch, tag, "
    "commit) whose last recorded run the history store gives, a summary.json FILE, or 'none'. "
    "Default: the last recorded run of the base branch (the run's base ref, else the default "
    "branch), at the merge-base when one was recorded.",
)
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="History store for the baseline (default: TESTGATE_DB, history.url in the config, or "
    ".testgate/history.db beside it).",
)
@click.option(
    "--base",
    default=None,
    metavar="REF",
    help="Base of new-code coverage: lines changed since 'git merge-base HEAD REF' "
    "(default: the upstream branch, else main, else master).",
)
@click.option(
    "--env",
    default=None,
    metavar="NAME",
    help="Evaluate deployment_gates.NAME.required_gates instead of every gate.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings and non-blocking gates too.")
@click.option(
    "--bypass",
    default=None,
    metavar="REASON",
    help="Pass despite failing gates, where enforcement.bypass_allowed is true. The exception is "
    "recorded with its reason, user (TESTGATE_USER, the CI's actor, USER) and time: in every "
    "output, in the summary, and on the run in the history store.",
)
@click.option(
    "--approve",
    is_flag=True,
    help="Grant the manual_approval deployment check (also TESTGATE_APPROVED=1).",
)
@click.option(
    "--backtest",
    is_flag=True,
    help="Evaluate the gates over the runs the history store recorded instead of one summary: "
    "per run the verdict the gates would have given and the criteria that decided it, then how "
    "many runs they would have blocked and how many of those a later run of the branch fixed. "
    "Formats: text, json, markdown. Exit 0 (it reports; it does not decide).",
)
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    metavar="N",
    help="With --backtest: the last N recorded runs of the branch.",
)
@click.option(
    "--branch",
    default=None,
    metavar="B",
    help="With --backtest: the branch whose runs to evaluate (default: history.default_branch, "
    "git's default branch, main or master).",
)
def command(
    config_path: str | None,
    summary_path: str | None,
    fmt: str,
    output: str | None,
    baseline: str | None,
    db: str | None,
    base: str | None,
    env: str | None,
    strict: bool,
    bypass: str | None,
    approve: bool,
    backtest: bool,
    last: int,
    branch: str | None,
) -> int:
    from testgate import workflow
    from testgate.model import read_summary
    from testgate.report.registry import RenderContext

    loaded = workflow.load(config_path)
    if backtest:
        return _backtest(loaded, fmt, output, last, branch, db, env, strict)
    summary = Path(summary_path) if summary_path else loaded.state_dir / "latest" / "summary.json"
    run = read_summary(summary)
    approved = approve or os.environ.get("TESTGATE_APPROVED", "") in ("1", "true", "yes")
    verdict = workflow.gate(
        loaded,
        run,
        workflow.GateOptions(
            baseline=baseline,
            db=db,
            base=base,
            env=env,
            strict=strict,
            bypass=bypass,
            approved=approved,
        ),
    )
    persisted = None
    if verdict.bypass is not None:
        # an exception is never lost: on the summary and on the recorded run
        persisted = workflow.persist(
            loaded,
            run,
            workflow.PersistOptions(
                summary=summary, latest=False, db=db, notify=False, update_verdict=True
            ),
        )
        for line in persisted.errors:
            click.echo(f"testgate: error: {line}", err=True)
    renderer = f"gate-{fmt}" if fmt in GATE_FORMATS else fmt
    tty = sys.stdout.isatty()
    if output:
        workflow.render(run, [(renderer, Path(output))], RenderContext(config=loaded.source))
        if renderer != "gate-text":
            workflow.render(run, [("gate-text", None)], RenderContext(color=tty))
    else:
        workflow.render(run, [(renderer, None)], RenderContext(color=tty, config=loaded.source))
    return int(workflow.exit_code(verdict=verdict, persisted=persisted))


def _backtest(
    loaded: Loaded,
    fmt: str,
    output: str | None,
    last: int,
    branch: str | None,
    db: str | None,
    env: str | None,
    strict: bool,
) -> int:
    from testgate import workflow
    from testgate.errors import UsageError
    from testgate.report.backtest import BACKTEST_FORMATS, render_backtest

    if fmt not in BACKTEST_FORMATS:
        raise UsageError(
            f"--backtest --format {fmt}: a back-test is written as {', '.join(BACKTEST_FORMATS)}"
        )
    result = workflow.backtest(
        loaded, workflow.BacktestOptions(last=last, branch=branch, db=db, env=env, strict=strict)
    )
    text = render_backtest(result, fmt)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
        if fmt != "text":
            click.echo(render_backtest(result, "text"), nl=False)
    else:
        click.echo(text, nl=False)
    return 0
