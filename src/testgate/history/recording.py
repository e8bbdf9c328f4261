"""Record a run and fire the alerts it triggers: what ``testgate run`` and
``testgate history record`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from testgate.history.alerts import AlertFired, AlertResult, evaluate_alerts, explain, parse_alerts
from testgate.history.flaky import flaky_rate
from testgate.history.notify import Delivery, dashboard_url, notify, parse_webhooks
from testgate.history.outage import outage_reason
from testgate.history.store import HistoryStore, RunInfo, open_store, resolve_url

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.model import Run

__all__ = ["RecordOutcome", "record_and_alert", "record_run"]


@dataclass(slots=True)
class RecordOutcome:
    #: False when the run id was already in the store (nothing was written, nothing fired)
    recorded: bool
    fired: list[AlertFired] = field(default_factory=list)
    results: list[AlertResult] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    previous: RunInfo | None = None


def record_and_alert(
    store: HistoryStore,
    loaded: LoadedConfig | None,
    run: Run,
    *,
    send: bool = True,
    run_failed: bool | None = None,
) -> RecordOutcome:
    """Record *run* in *store*, then evaluate the configured alerts against the previous run
    on its branch and send the fired ones to the webhooks (unless ``send`` is false)."""
    source = str(loaded.path) if loaded is not None else "testgate.yaml"
    # validate the configuration before writing anything
    cfg = loaded.config if loaded is not None else None
    rules = parse_alerts(cfg.section("alerts"), source=source) if cfg is not None else []
    hooks = parse_webhooks(cfg.section("notify"), source=source) if cfg is not None else []
    if store.has_run(run.id):
        return RecordOutcome(recorded=False)
    store.record(run, run_failed=run_failed)
    # history.flaky_rate over the branch's window, this run included: a metric of the run from
    # now on (alerts such as the seed's `flaky_rate > 2%` read it, trends chart it)
    window = cfg.history.window if cfg is not None else 50
    rate = flaky_rate(store, branch=run.vcs.branch, window=window)
    current = dict(run.metrics)
    if rate is not None:
        current["history.flaky_rate"] = round(rate.rate, 4)
        store.set_metrics(run.id, {"history.flaky_rate": current["history.flaky_rate"]})
    # an outage is not a regression, and the run after one is not a recovery: alerts neither
    # fire on an outage nor compare against one
    previous = store.previous_run(run.id, run.vcs.branch, skip_outages=True)
    failed = sum(1 for t in run.tests if t.status in ("failed", "error"))
    outage = outage_reason(len(run.tests), failed)
    if outage is not None:
        why = f"this run is an outage ({outage}): alerts neither fire on it nor compare with it"
        results = [AlertResult(rule, "not-evaluated", reason=why) for rule in rules]
    else:
        results = evaluate_alerts(rules, current, previous.metrics if previous else None)
    fired = [
        AlertFired(
            name=r.rule.name,
            severity=r.rule.severity,
            condition=r.rule.condition,
            message=explain(r),
            values=r.values,
            run=run.id,
        )
        for r in results
        if r.status == "fired"
    ]
    deliveries: list[Delivery] = []
    if fired and hooks and send:
        deliveries = notify(
            fired,
            hooks,
            project=run.project or (loaded.config.project or "" if loaded else ""),
            run=run.id,
            commit=run.vcs.commit,
            branch=run.vcs.branch,
            dashboard_url=dashboard_url(cfg.section("notify") if cfg is not None else {}),
        )
    if fired:
        # kept with the run, for the dashboard's alerts page and the report's chart markers
        # (webhook URLs carry secrets: only
        # how many deliveries succeeded is kept)
        store.mark_run(
            run.id,
            "alerts",
            [
                {
                    "name": a.name,
                    "severity": a.severity,
                    "condition": a.condition,
                    "message": a.message,
                    "values": a.values,
                    "delivered": sum(1 for d in a.deliveries if d.ok),
                    "deliveries": len(a.deliveries),
                }
                for a in fired
            ],
        )
    return RecordOutcome(True, fired, results, deliveries, previous)


def record_run(
    loaded: LoadedConfig | None, run: Run, db_url: str | None = None
) -> list[AlertFired]:
    """Record *run* in the store the configuration names (or *db_url*) and return the alerts
    it fired, already sent to the configured webhooks (see ``AlertFired.deliveries``).

    The store URL is resolved as ``db_url`` > ``TESTGATE_DB`` > ``history.url`` > the default
    ``.testgate/history.db`` beside the configuration.
    """
    with open_store(resolve_url(db_url, loaded)) as store:
        return record_and_alert(store, loaded, run).fired
