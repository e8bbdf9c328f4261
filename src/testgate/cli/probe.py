"""``testgate probe URL``: bounded SQL-injection and XSS probes of a local service."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command(
    "probe",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("url")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also probe this host (repeatable). Without it only loopback hosts are probed.",
)
@click.option(
    "--max-requests",
    type=click.IntRange(1, 10_000),
    default=60,
    show_default=True,
    help="Send at most this many requests.",
)
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds per request.")
@click.option(
    "-o",
    "--output",
    default="probe-summary.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The run summary to write the findings to (security.* metrics).",
)
def command(
    url: str, allow_hosts: tuple[str, ...], max_requests: int, timeout: float, output: str
) -> int:
    """Send a bounded set of SQL-injection and XSS payloads to URL's query parameters (GET and
    a JSON POST) and report endpoints that answer with a database error or a 5xx, or reflect
    markup unescaped. Only loopback hosts are probed unless --allow-host names the host.

    Exit codes: 0 no finding, 1 findings, 2 a refused host or a usage error.
    """
    from testgate.model import write_summary
    from testgate.security import findings_run, probe

    result = probe(url, allow_hosts=allow_hosts, max_requests=max_requests, timeout=timeout)
    real = [f for f in result.findings if f.severity != "info"]
    run = findings_run(result.findings, {})
    path = write_summary(run, Path(output))
    for f in result.findings:
        click.echo(f"{f.severity:<8} {f.rule:<22} {f.message}")
    click.echo(
        f"testgate probe: {result.requests} requests to {url}; {len(real)} finding"
        f"{'s' if len(real) != 1 else ''}; summary: {path}"
    )
    return 1 if real else 0
