"""``testgate init``: write a starter ``testgate.yaml`` for the repository it finds."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command("init")
@click.argument(
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    required=False,
)
@click.option("--force", is_flag=True, help="Overwrite an existing testgate.yaml.")
def command(directory: Path, force: bool) -> int:
    """Write a starter testgate.yaml into DIRECTORY (default: here).

    It finds pytest projects (pyproject.toml, setup.cfg, pytest.ini, tests/), package.json
    (node --test, jest or vitest, as its test script says) and go.mod (gotestsum), in
    DIRECTORY and in every package below it (four levels deep), and writes one step per suite
    with its report paths wired, plus a "checks" stage for the lint and security tools the
    repository configures (ruff, eslint, bandit, gitleaks, semgrep, detect-secrets, hadolint).
    Refuses to overwrite an existing file unless --force is given (exit 2).
    """
    from testgate.config.loader import DEFAULT_CONFIG_NAMES, load_config
    from testgate.config.starter import detect_checks, detect_suites, render_starter
    from testgate.errors import UsageError

    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory", slug="missing-file")
    target = directory / DEFAULT_CONFIG_NAMES[0]
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it")
    suites = detect_suites(directory) + detect_checks(directory)
    text = render_starter(directory.resolve().name or "project", suites)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp)  # what we write must validate; if not, that is a bug in init
    finally:
        tmp.unlink()
    target.write_text(text, encoding="utf-8")
    if suites:
        found = ", ".join(f"{s.name} ({s.directory or '.'})" for s in suites)
        click.echo(f"wrote {target}: {len(suites)} step{'s' * (len(suites) != 1)}: {found}")
    else:
        click.echo(
            f"wrote {target}: no pytest project, package.json or go.mod found; "
            "edit the placeholder step"
        )
    click.echo("next: testgate validate, then testgate run")
    return 0
