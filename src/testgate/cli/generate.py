"""``testgate generate``: tests from a package's public API (see docs/generate.md)."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command(
    "generate",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--src",
    "src",
    type=click.Path(file_okay=False),
    default=None,
    help="The package (or a folder of packages, such as src/) to write tests for "
    "(default: src/ if it exists, else the current directory).",
)
@click.option(
    "--tests",
    "tests",
    type=click.Path(file_okay=False),
    default="tests/generated",
    show_default=True,
    help="Where the test files go (one per public module, plus a conftest.py).",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; list what would be written.")
@click.option("--force", is_flag=True, help="Overwrite test files that already exist.")
@click.option(
    "--integration",
    is_flag=True,
    help="Also write route smoke tests for the FastAPI and Flask apps found (a TestClient "
    "GETs every route without parameters; no route may answer 5xx).",
)
def command(src: str | None, tests: str, dry_run: bool, force: bool, integration: bool) -> int:
    """Write pytest files for each public function and class of a Python package.

    The package is read with Python's ast module: none of its code is imported to scan it.
    Where type hints allow, Hypothesis's ghostwriter writes property tests: encode/decode-like
    pairs round-trip, normalise-like functions are idempotent, and no function raises an
    exception it does not raise on purpose. Everything else gets a test marked
    pytest.mark.skip(reason="write the assertion"): never a test that asserts nothing and
    passes. An existing file is never overwritten without --force.

    Exit codes: 0 done, 2 no package at --src.
    """
    from testgate.generate import generate

    source = Path(src) if src else (Path("src") if Path("src").is_dir() else Path("."))
    result = generate(source, Path(tests), dry_run=dry_run, force=force, integration=integration)
    cwd = Path.cwd()
    for f in result.files:
        try:
            shown = f.path.relative_to(cwd)
        except ValueError:
            shown = f.path
        what = []
        if f.properties:
            what.append(f"{f.properties} property")
        if f.routes:
            what.append(f"{f.routes} route smoke")
        if f.stubs:
            what.append(f"{f.stubs} to write")
        click.echo(f"{f.action:<34} {shown}" + (f"  ({', '.join(what)})" if what else ""))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    t = result.totals()
    verb = "would write" if dry_run else "wrote"
    click.echo(
        f"testgate generate: {verb} {t['properties']} property tests ({t['roundtrips']} "
        f"round-trip, {t['idempotent']} idempotence), {t['routes']} route smoke tests, "
        f"{t['stubs']} skipped stubs to write"
    )
    return 0
