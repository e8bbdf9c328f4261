"""``testgate gate``: evaluate the quality gates over a run summary and say why.

Exit codes: 0 the verdict passes, 3 a blocking gate failed (or, with ``--strict``, any gate
failed or warned), 2 a configuration, input or usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from testgate.cli._common import config_option

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
    metavar="FILE|REF",
    help="Compare with another run for trend and baseline_comparison criteria: a summary.json "
    "file, or a git ref whose last recorded run the history store gives.",
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
    help="Pass despite failing gates, where enforcement.bypass_allowed is true; the reason is "
    "recorded in the output.",
)
@click.option(
    "--approve",
    is_flag=True,
    help="Grant the manual_approval deployment check (also TESTGATE_APPROVED=1).",
)
def command(
    config_path: str | None,
    summary_path: str | None,
    fmt: str,
    output: str | None,
    baseline: str | None,
    base: str | None,
    env: str | None,
    strict: bool,
    bypass: str | None,
    approve: bool,
) -> int:
    from testgate import workflow
    from testgate.model import read_summary
    from testgate.report.registry import RenderContext

    loaded = workflow.load(config_path)
    summary = Path(summary_path) if summary_path else loaded.state_dir / "latest" / "summary.json"
    run = read_summary(summary)
    approved = approve or os.environ.get("TESTGATE_APPROVED", "") in ("1", "true", "yes")
    verdict = workflow.gate(
        loaded,
        run,
        workflow.GateOptions(
            baseline=baseline, base=base, env=env, strict=strict, bypass=bypass, approved=approved
        ),
    )
    renderer = f"gate-{fmt}" if fmt in GATE_FORMATS else fmt
    tty = sys.stdout.isatty()
    if output:
        workflow.render(run, [(renderer, Path(output))], RenderContext(config=loaded.source))
        if renderer != "gate-text":
            workflow.render(run, [("gate-text", None)], RenderContext(color=tty))
    else:
        workflow.render(run, [(renderer, None)], RenderContext(color=tty, config=loaded.source))
    return int(workflow.exit_code(verdict=verdict))
