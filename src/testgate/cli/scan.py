"""``testgate scan secrets|licenses``: findings in a run summary that gates can read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from testgate.model import Finding

__all__ = ["command"]


def _report(findings: list[Finding], output: str, metrics: dict[str, float], what: str) -> int:
    from testgate.model import write_summary
    from testgate.security import findings_run

    run = findings_run(findings, metrics)
    path = write_summary(run, Path(output))
    for f in findings:
        where = (
            f"{f.path}:{f.line}" if f.path else (f"{f.package} {f.version}" if f.package else "")
        )
        click.echo(f"{f.severity:<8} {f.rule:<28} {where}  {f.message}")
    n = len(findings)
    click.echo(f"testgate scan {what}: {n} finding{'s' if n != 1 else ''}; summary: {path}")
    return 1 if findings else 0


@click.group("scan")
def command() -> None:
    """Scan the repository for secrets or the environment for licences; each scan writes its
    findings into a run summary (secrets.count, licenses.violations) for testgate gate.

    Exit codes: 0 no findings, 1 findings, 2 usage or input error.
    """


@command.command("secrets")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "-o",
    "--output",
    default="secrets-summary.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The run summary to write the findings to.",
)
def secrets_cmd(paths: tuple[str, ...], output: str) -> int:
    """Find secrets (keys, tokens, passwords) in PATHS (default: the repository here) with
    detect-secrets. Git's file list is used in a repository, so ignored files are skipped.
    The secrets themselves are never printed or written: only their kind and hash."""
    from testgate.security import scan_secrets

    findings = scan_secrets([Path(p) for p in paths] or [Path(".")], root=Path.cwd())
    return _report(findings, output, {"secrets.count": float(len(findings))}, "secrets")


@command.command("licenses")
@click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="SPDX",
    help="An allowed licence (repeatable; replaces the default permissive list: MIT, BSD, "
    "Apache-2.0, ISC, PSF-2.0, MPL-2.0, ...).",
)
@click.option("--also-allow", multiple=True, metavar="SPDX", help="Add to the allow-list.")
@click.option(
    "--ignore", multiple=True, metavar="NAME", help="A distribution not to check (repeatable)."
)
@click.option(
    "-o",
    "--output",
    default="licenses-summary.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The run summary to write the findings to.",
)
def licenses_cmd(
    allow: tuple[str, ...], also_allow: tuple[str, ...], ignore: tuple[str, ...], output: str
) -> int:
    """Check the licence of every distribution installed in this Python environment against
    an allow-list. A distribution whose licence cannot be told is a finding too."""
    from testgate.security import DEFAULT_ALLOW, scan_licenses

    allowed = [*(allow or DEFAULT_ALLOW), *also_allow]
    findings, checked = scan_licenses(allowed, ignore=ignore)
    violations = sum(1 for f in findings if f.rule == "license-not-allowed")
    click.echo(f"{checked} distributions checked against {len(allowed)} allowed licences")
    return _report(findings, output, {"licenses.violations": float(violations)}, "licenses")
