"""``testgate ingest``: read report files made elsewhere into one run summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from testgate.adapters.ingest import IngestResult

__all__ = ["command"]

_ALIAS_HELP = "Alias of a FILE argument (for the seed's aggregate_results); repeatable, globs."


@click.command(
    "ingest",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="summary.json",
    show_default=True,
    help="Where to write the run summary (testgate.summary/1 JSON).",
)
@click.option(
    "--format",
    "format_name",
    metavar="NAME",
    default=None,
    help="Read every FILE as this format instead of detecting it (see 'testgate formats').",
)
@click.option("--commit", metavar="SHA", default=None, help="Commit (default: git's HEAD here).")
@click.option("--branch", metavar="NAME", default=None, help="Branch (default: git's branch).")
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Repository root that coverage paths are made relative to (default: here).",
)
@click.option("--project", "project_name", metavar="NAME", default="", help="Project name.")
@click.option(
    "--keep-going",
    is_flag=True,
    help="Read every report even if some cannot be read; the summary holds the good ones "
    "and the exit code is still 2.",
)
@click.option("--test-reports", multiple=True, metavar="GLOB", help=_ALIAS_HELP)
@click.option("--coverage-reports", multiple=True, metavar="GLOB", help=_ALIAS_HELP)
@click.option("--performance-reports", multiple=True, metavar="GLOB", help=_ALIAS_HELP)
@click.option("--security-reports", multiple=True, metavar="GLOB", help=_ALIAS_HELP)
def command(
    files: tuple[str, ...],
    output: str,
    format_name: str | None,
    commit: str | None,
    branch: str | None,
    root: str | None,
    project_name: str,
    keep_going: bool,
    test_reports: tuple[str, ...],
    coverage_reports: tuple[str, ...],
    performance_reports: tuple[str, ...],
    security_reports: tuple[str, ...],
) -> int:
    """Read report files (JUnit, coverage, perf, security, lint...) into one run summary.

    Each FILE may be a glob ('test-results/*.xml', '**/TEST-*.xml'); the format of each file is
    detected from its content unless --format is given. VCS facts default to what git says in
    the current directory. Prints a table of what each report held and writes the summary.

    Exit codes: 0 read, 2 a report could not be read (with --keep-going the others are still
    written).
    """
    from testgate import workflow
    from testgate.cli import DOCS_ERRORS

    patterns = [
        *files,
        *test_reports,
        *coverage_reports,
        *performance_reports,
        *security_reports,
    ]
    execution = workflow.ingest(
        patterns,
        workflow.IngestOptions(
            format=format_name,
            root=Path(root) if root else None,
            project=project_name,
            commit=commit,
            branch=branch,
            keep_going=keep_going,
        ),
    )
    result = execution.ingested
    assert result is not None
    for _path, exc in result.errors:
        hint = f" (see {DOCS_ERRORS}#{exc.slug})" if exc.slug else ""
        click.echo(f"testgate: error: {exc}{hint}", err=True)
    persisted = workflow.persist(
        None, execution.run, workflow.PersistOptions(summary=Path(output), record=False)
    )
    _print_table(result)
    click.echo(f"summary written to {persisted.summary}")
    if result.errors:
        bad = ", ".join(p for p, _ in result.errors)
        click.echo(f"testgate: {len(result.errors)} report(s) could not be read: {bad}", err=True)
    return int(workflow.exit_code(execution))


def _print_table(result: IngestResult) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False)
    for col, justify in (
        ("report", "left"),
        ("format", "left"),
        ("tests", "right"),
        ("failed", "right"),
        ("skipped", "right"),
        ("coverage files", "right"),
        ("findings", "right"),
        ("metrics", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.reports:
        table.add_row(
            Text(r.path),  # a file name is text, never markup
            r.format,
            str(r.tests),
            str(r.failed),
            str(r.skipped),
            str(r.coverage_files),
            str(r.findings),
            str(r.metrics),
        )
    reps = result.reports
    table.add_row(
        f"total ({len(reps)} reports)",
        "",
        str(sum(r.tests for r in reps)),
        str(sum(r.failed for r in reps)),
        str(sum(r.skipped for r in reps)),
        str(len(result.run.coverage.files)),
        str(sum(r.findings for r in reps)),
        str(len(result.run.metrics)),
        style="bold",
    )
    Console(width=120, soft_wrap=True).print(table)
