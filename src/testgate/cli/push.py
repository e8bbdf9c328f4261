"""``testgate push``: push one run's metrics to a Prometheus Pushgateway."""

from __future__ import annotations

from pathlib import Path

import click

from testgate.cli._common import config_option, default_summary

__all__ = ["command"]


@click.command(
    "push",
    help="Push a run's test metrics (the seed's test_execution_duration_seconds, "
    "test_executions_total, test_failures_total, test_coverage_percent) to a Prometheus "
    "Pushgateway, grouped by job, project and branch.",
)
@click.option(
    "--gateway",
    required=True,
    envvar="TESTGATE_PUSHGATEWAY",
    help="Pushgateway address, e.g. http://127.0.0.1:9091 (env TESTGATE_PUSHGATEWAY).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The run's summary.json (default: .testgate/latest/summary.json beside the config).",
)
@click.option("--job", default="testgate", show_default=True, help="The Pushgateway job name.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait.")
@config_option
def command(
    gateway: str, summary_path: str | None, job: str, timeout: float, config_path: str | None
) -> int:
    from prometheus_client import CollectorRegistry, push_to_gateway

    from testgate.errors import InputError
    from testgate.model import read_summary
    from testgate.server.prom import aggregate_run, metric_families

    summary = Path(summary_path) if summary_path else default_summary(config_path)
    run = read_summary(summary)
    agg = aggregate_run(run)

    class _Collector:
        def collect(self):  # type: ignore[no-untyped-def]
            return metric_families(agg)

    registry = CollectorRegistry()
    registry.register(_Collector())
    grouping = {"project": run.project or "default", "branch": run.vcs.branch or "unknown"}
    try:
        push_to_gateway(gateway, job=job, registry=registry, grouping_key=grouping, timeout=timeout)
    except OSError as exc:
        raise InputError(
            f"cannot push to the Pushgateway at {gateway}: {exc}; check --gateway",
            slug="pushgateway",
        ) from None
    click.echo(f"pushed run {run.id} to {gateway} (job={job}, {grouping})")
    return 0
