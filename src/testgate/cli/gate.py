"""``testgate gate``: evaluate the quality gates over a run summary and say why.

Exit codes: 0 the verdict passes, 3 a blocking gate failed (or, with ``--strict``, any gate
failed or warned), 2 a configuration, input or usage error.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from testgate.cli._common import config_option

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.errors import ConfigError
    from testgate.gates.evaluate import Verdict
    from testgate.gates.spec import GatesSpec
    from testgate.model import Run

__all__ = ["GateOptions", "command", "evaluate_for_run", "load_gates"]

_FORMATS = ("text", "json", "markdown", "github", "junit")


@dataclass(slots=True)
class GateOptions:
    """How to evaluate: the options of ``testgate gate`` (``testgate run`` passes its own)."""

    baseline: str | None = None
    base: str | None = None
    env: str | None = None
    strict: bool = False
    bypass: str | None = None
    approved: bool = False
    #: for quarantine expiry; None means today
    today: _dt.date | None = None
    #: where relative --baseline paths are read from; None means the current directory
    cwd: Path | None = None


def _needs_new_code(spec: object) -> bool:
    from testgate.gates.spec import GatesSpec

    assert isinstance(spec, GatesSpec)
    return any(c.metric == "coverage.new_code" for g in spec.gates.values() for c in g.criteria)


def _located(loaded: LoadedConfig, exc: ConfigError) -> ConfigError:
    """*exc* with each problem prefixed by ``file:line:`` of its key path."""
    import re

    from testgate.errors import ConfigError

    try:
        name = str(loaded.path.relative_to(Path.cwd()))
    except ValueError:
        name = str(loaded.path)
    out = []
    for problem in exc.problems:
        key = re.sub(r"\[(\d+)\]", r".\1", problem.split(": ", 1)[0])
        line = None
        while key:
            if key in loaded.lines:
                line = loaded.lines[key]
                break
            key = key.rpartition(".")[0]
        out.append(f"{name}:{line}: {problem}" if line else f"{name}: {problem}")
    return ConfigError(out[0], problems=out, slug=exc.slug)


def load_gates(loaded: LoadedConfig) -> GatesSpec:
    """The gate specs of *loaded*; problems name ``file:line: key.path`` (for ``validate`` too)."""
    from testgate.errors import ConfigError
    from testgate.gates.spec import parse_gates

    cfg = loaded.config
    try:
        return parse_gates(cfg.gates, cfg.deployment_gates, cfg.quarantine)
    except ConfigError as exc:
        raise _located(loaded, exc) from None


def evaluate_for_run(loaded: LoadedConfig, run: Run, options: GateOptions) -> Verdict:
    """Evaluate *loaded*'s gates over *run* and store the verdict in ``run.verdict``.

    The I/O the pure evaluation needs happens here: reading a baseline, running git for
    new-code coverage, reading today's date for quarantine expiry.
    """
    from testgate.errors import GateError
    from testgate.gates.baseline import baseline_provider
    from testgate.gates.evaluate import evaluate

    spec = load_gates(loaded)
    baseline = None
    if options.baseline:
        provider = baseline_provider(options.baseline, cwd=options.cwd or Path.cwd(), loaded=loaded)
        baseline = provider.load()
    changes = None
    problem = None
    if (options.base or _needs_new_code(spec)) and run.coverage:
        from testgate.gates.newcode import changed_lines

        try:
            changes = changed_lines(loaded.root, options.base)
        except GateError as exc:
            if options.base:
                raise
            problem = str(exc)
    verdict = evaluate(
        spec,
        run,
        baseline=baseline,
        env=options.env,
        strict=options.strict,
        bypass=options.bypass,
        changes=changes,
        today=options.today or _dt.date.today(),
        approved=options.approved,
    )
    if problem:
        verdict.notes.append(problem)
    run.verdict = verdict.to_dict()
    return verdict


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
    type=click.Choice(_FORMATS),
    default="text",
    show_default=True,
    help="Output: a text table, JSON, Markdown (PR comments, $GITHUB_STEP_SUMMARY), GitHub "
    "annotations, or JUnit XML with one test case per criterion.",
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
    from testgate.config.loader import load_config
    from testgate.gates.render import render, render_text
    from testgate.model import read_summary

    loaded = load_config(config_path)
    summary = Path(summary_path) if summary_path else loaded.state_dir / "latest" / "summary.json"
    run = read_summary(summary)
    approved = approve or os.environ.get("TESTGATE_APPROVED", "") in ("1", "true", "yes")
    verdict = evaluate_for_run(
        loaded,
        run,
        GateOptions(
            baseline=baseline, base=base, env=env, strict=strict, bypass=bypass, approved=approved
        ),
    )
    tty = sys.stdout.isatty()
    text = render(verdict, fmt, color=tty and fmt == "text" and not output)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
        click.echo(render_text(verdict, color=tty), nl=False)
    else:
        click.echo(text, nl=False)
    return verdict.exit_code
