"""``testgate history``: record, list and show runs; the trend of a metric."""

from __future__ import annotations

import json
from typing import Any

import click

from testgate.cli._hist import (
    db_options,
    fmt_num,
    fmt_time,
    open_for_cli,
    open_reader_for_cli,
    print_table,
    table,
)

__all__ = ["command"]


@click.group("history")
def command() -> None:
    """Record, list and show runs in the history store, and follow a metric's trend.

    The store is a SQLite file, .testgate/history.db beside the config, unless --db,
    TESTGATE_DB or history.url in the config name another (PostgreSQL for teams).
    """


@command.command("record")
@click.argument("summary", type=click.Path(dir_okay=False))
@db_options
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--no-notify", is_flag=True, help="Evaluate alerts but send no webhooks.")
def record_cmd(
    summary: str, db: str | None, config_path: str | None, as_json: bool, no_notify: bool
) -> int:
    """Record a run made elsewhere (a summary.json from testgate run, ingest or a CI shard).

    Recording the same run twice does nothing. The configured alerts are evaluated against
    the previous run on the same branch; the fired ones are printed and sent to the webhooks.
    """
    from testgate import workflow
    from testgate.cli._hist import load_optional_config
    from testgate.errors import HistoryError
    from testgate.model import read_summary

    run = read_summary(summary)
    source = load_optional_config(config_path)
    loaded = workflow.Loaded(source=source, gates=workflow.load_gates(source)) if source else None
    persisted = workflow.persist(
        loaded,
        run,
        workflow.PersistOptions(write=False, db=db, notify=not no_notify),
    )
    if persisted.outcome is None:
        raise HistoryError("; ".join(persisted.errors) or "run not recorded")
    outcome = persisted.outcome
    url = persisted.store
    if as_json:
        doc = {
            "run": run.id,
            "recorded": outcome.recorded,
            "store": url,
            "tests": len(run.tests),
            "previous": outcome.previous.id if outcome.previous else None,
            "alerts": [a.to_dict() for a in outcome.fired],
        }
        click.echo(json.dumps(doc, indent=2))
    elif not outcome.recorded:
        click.echo(f"run {run.id} is already recorded in {url}; nothing to do")
    else:
        click.echo(f"recorded run {run.id} ({len(run.tests)} tests) in {url}")
        from testgate.history.alerts import alert_line, describe

        for r in outcome.results:
            if r.status == "not-evaluated":
                click.echo(describe(r))
        for a in outcome.fired:
            click.echo(alert_line(a.name, a.severity, a.message))
    for d in outcome.deliveries:
        if not d.ok:
            click.echo(
                f"testgate: warning: webhook {d.url} failed after {d.attempts} attempt(s): "
                f"{d.error}",
                err=True,
            )
    return 0


@command.command("list")
@db_options
@click.option("--branch", default=None, help="Only runs on this branch.")
@click.option(
    "--limit", "-n", default=20, show_default=True, type=click.IntRange(1), help="Runs to show."
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def list_cmd(
    db: str | None, config_path: str | None, branch: str | None, limit: int, as_json: bool
) -> int:
    """List the recorded runs, newest first."""
    store, _ = open_reader_for_cli(db, config_path)
    with store:
        runs = store.runs(branch, limit)
    if as_json:
        click.echo(json.dumps({"runs": [r.to_dict() for r in runs]}, indent=2))
        return 0
    if not runs:
        click.echo("no runs recorded yet")
        return 0
    tbl = table(
        "run",
        "started (UTC)",
        "branch",
        "commit",
        "status",
        "tests",
        "failed",
        "pass %",
        "cov %",
        "duration s",
    )
    for r in runs:
        d = r.to_dict()
        tbl.add_row(
            r.id,
            fmt_time(d["started_at"]),
            r.branch or "",
            (r.commit or "")[:10],
            r.status + (f" / {r.verdict}" if r.verdict else ""),
            str(r.tests_total),
            str(r.tests_failed),
            fmt_num(r.metrics.get("tests.pass_rate")),
            fmt_num(r.metrics.get("coverage.line")),
            fmt_num(r.duration_s, 1),
        )
    print_table(tbl)
    return 0


@command.command("mark")
@click.argument("run_ref", metavar="RUN")
@db_options
@click.option(
    "--outage",
    "outage",
    metavar="REASON",
    default=None,
    help="Mark RUN as an outage (the infrastructure failed, not the code): flaky/broken "
    "analysis leaves it out and alerts do not compare against it.",
)
@click.option("--clear-outage", is_flag=True, help="Remove RUN's outage mark.")
def mark_cmd(
    db: str | None,
    config_path: str | None,
    run_ref: str,
    outage: str | None,
    clear_outage: bool,
) -> int:
    """Put a mark on a recorded run after the fact. RUN is a run id, a unique prefix of one,
    or 'latest'."""
    import datetime as _dt
    import getpass

    from testgate.errors import UsageError

    if (outage is None) == (not clear_outage):
        raise UsageError("history mark: give --outage REASON or --clear-outage")
    store, _ = open_for_cli(db, config_path, create=False)
    with store:
        value = None
        if outage is not None:
            value = {
                "reason": outage,
                "by": getpass.getuser(),
                "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            }
        info = store.mark_run(run_ref, "outage", value)
    what = f"marked as an outage: {outage}" if value else "no longer marked as an outage"
    click.echo(f"run {info.id} {what}")
    return 0


@command.command("incident")
@db_options
@click.option(
    "--commit",
    required=True,
    help="The commit the defect shipped in (a full SHA or a unique prefix of 7+ characters); "
    "a run of it must be recorded.",
)
@click.option("--id", "incident_id", required=True, help="The incident or bug id, such as BUG-1.")
@click.option("--component", default=None, help="The component the defect was found in.")
@click.option(
    "--at",
    "reported_at",
    default=None,
    help="When the incident was reported (ISO 8601, such as 2026-01-31T09:30:00Z); default now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the incident and the rates as JSON.")
def incident_cmd(
    db: str | None,
    config_path: str | None,
    commit: str,
    incident_id: str,
    component: str | None,
    reported_at: str | None,
    as_json: bool,
) -> int:
    """Record a production incident (a defect that escaped the tests) against a commit.

    The defect escape rate (incidents / (incidents + runs whose tests or gates stopped a
    change)) and the mean time to detection follow from it: 'testgate serve' charts them on
    /effectiveness. Recording the same id again updates it.
    """
    from testgate.history.incidents import effectiveness, record_incident

    store, _ = open_for_cli(db, config_path, create=False)
    with store:
        incident = record_incident(
            store,
            commit=commit,
            incident_id=incident_id,
            component=component,
            reported_at=reported_at,
        )
        info = store.get_run(incident.run)
        fx = effectiveness(store.runs(branch=info.branch if info else None, limit=200))
    if as_json:
        click.echo(json.dumps({"incident": incident.to_dict(), **fx.to_dict()}, indent=2))
        return 0
    where = f" ({incident.component})" if incident.component else ""
    click.echo(
        f"recorded incident {incident.id}{where} against commit {incident.commit[:12]} "
        f"(first run {incident.run})"
    )
    rate = f"{100 * fx.escape_rate:.1f}%" if fx.escape_rate is not None else "n/a"
    mttd = f"{fx.mttd_hours:.1f} h" if fx.mttd_hours is not None else "n/a"
    click.echo(
        f"defect escape rate {rate}: {len(fx.incidents)} escaped, {fx.caught} stopped by tests "
        f"or gates in the last {fx.runs} runs; mean time to detection {mttd}"
    )
    return 0


@command.command("show")
@click.argument("run_ref", metavar="RUN")
@db_options
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--all-tests", is_flag=True, help="List every test, not only failed and flaky ones.")
def show_cmd(
    db: str | None, config_path: str | None, run_ref: str, as_json: bool, all_tests: bool
) -> int:
    """Show one run: its facts, metrics, steps and failed or flaky tests.

    RUN is a run id, a unique prefix of one, or 'latest'.
    """
    from testgate.errors import HistoryError

    store, _ = open_for_cli(db, config_path, create=False)
    with store:
        info = store.get_run(run_ref)
        if info is None:
            raise HistoryError(
                f"no run {run_ref!r} in {store.safe_url}; 'testgate history list' shows the runs",
                slug="history-run",
            )
        steps = store.run_steps(info)
        tests = store.run_results(info, failures_only=not all_tests)
    doc: dict[str, Any] = info.to_dict()
    doc["steps"] = [s.to_dict() for s in steps]
    doc["tests"] = [
        {k: v for k, v in t.to_dict().items() if k not in ("run", "commit", "branch", "started_at")}
        for t in tests
    ]
    if as_json:
        click.echo(json.dumps(doc, indent=2))
        return 0
    click.echo(f"run {info.id}  ({info.status}{' / ' + info.verdict if info.verdict else ''})")
    for label, key in (
        ("project", "project"),
        ("branch", "branch"),
        ("commit", "commit"),
        ("started", "started_at"),
        ("finished", "finished_at"),
    ):
        if doc.get(key):
            click.echo(f"  {label:<9} {fmt_time(doc[key]) if key.endswith('_at') else doc[key]}")
    click.echo(f"  tests     {info.tests_total} ({info.tests_failed} failed)")
    if info.metrics:
        mt = table("metric", "value", title="metrics")
        for k, v in sorted(info.metrics.items()):
            mt.add_row(k, fmt_num(v, 3))
        print_table(mt)
    if steps:
        st = table(
            "stage",
            "step",
            "status",
            "exit",
            "duration s",
            title="steps",
        )
        for s in steps:
            st.add_row(
                s.stage,
                s.name,
                s.status,
                "" if s.exit_code is None else str(s.exit_code),
                fmt_num(s.duration_s, 2),
            )
        print_table(st)
    if tests:
        title = "tests" if all_tests else "failed and flaky tests"
        tt = table(
            "test",
            "status",
            "duration s",
            "message",
            title=title,
        )
        for t in tests:
            status = t.status + (" (flaky)" if t.flaky else "")
            tt.add_row(t.test_id, status, fmt_num(t.duration_s, 3), (t.message or "")[:60])
        print_table(tt)
    return 0


@command.command("trend")
@click.argument("metric")
@db_options
@click.option("--branch", default=None, help="Only runs on this branch.")
@click.option(
    "--limit", "-n", default=30, show_default=True, type=click.IntRange(1), help="Runs to show."
)
@click.option("--json", "as_json", is_flag=True, help="Print the series as JSON.")
def trend_cmd(
    metric: str,
    db: str | None,
    config_path: str | None,
    branch: str | None,
    limit: int,
    as_json: bool,
) -> int:
    """A metric's series over the last runs, oldest first.

    METRIC is a metric name (coverage.line, tests.duration_s), one of the seed's aliases
    (coverage, execution_time, flaky_rate, pass_rate) or an expression over metrics
    ("tests.failed / tests.total * 100").
    """
    from testgate.errors import UsageError
    from testgate.history.alerts import ALIASES, MissingMetric, evaluate, parse_expression

    try:
        expr = parse_expression(ALIASES.get(metric, metric))
    except ValueError as exc:
        raise UsageError(f"trend: {metric!r} is not a metric or expression: {exc}") from None
    # the stored metrics the expression reads (aliases resolved)
    names = sorted({ALIASES.get(n, n) for n, _ in expr.metrics()})
    store, _ = open_for_cli(db, config_path, create=False)
    with store:
        runs = {}
        values: dict[str, dict[str, float]] = {}
        for name in names:
            for info, v in store.metric_series(name, branch, limit):
                runs[info.id] = info
                values.setdefault(info.id, {})[name] = v
    series = []
    for rid, info in sorted(runs.items(), key=lambda kv: (kv[1].started_at, kv[1].pk)):
        try:
            value = evaluate(expr, values[rid], None)
        except (MissingMetric, ZeroDivisionError):
            continue
        series.append(
            {
                "run": rid,
                "started_at": info.to_dict()["started_at"],
                "commit": info.commit,
                "branch": info.branch,
                "value": value,
            }
        )
    series = series[-limit:]
    if as_json:
        click.echo(json.dumps({"metric": metric, "branch": branch, "series": series}, indent=2))
        return 0
    if not series:
        click.echo(f"no recorded run has {metric}")
        return 0
    vals = [p["value"] for p in series]
    lo, hi = min(vals), max(vals)
    bars = " ▁▂▃▄▅▆▇█"
    spark = "".join(bars[1 + int((v - lo) / (hi - lo) * 7) if hi > lo else 4] for v in vals)
    click.echo(
        f"{metric}: {fmt_num(vals[0], 3)} -> {fmt_num(vals[-1], 3)} over {len(vals)} runs  {spark}"
    )

    tbl = table("run", "started (UTC)", "commit", metric)
    prev = None
    for p in series:
        delta = "" if prev is None else f" ({p['value'] - prev:+.3g})"
        tbl.add_row(
            p["run"],
            fmt_time(p["started_at"]),
            (p["commit"] or "")[:10],
            fmt_num(p["value"], 3) + delta,
        )
        prev = p["value"]
    print_table(tbl)
    return 0
