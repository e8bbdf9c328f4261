"""What the history store adds to a report or the dashboard: trends, flaky and slow tests.

The HTML report, the Markdown summary and the dashboard read the history through this view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from testgate.history.rows import _iso

if TYPE_CHECKING:
    from testgate.history.rows import RunInfo
    from testgate.history.store import HistoryStore

__all__ = [
    "TREND_METRICS",
    "HistoryView",
    "alerts_of",
    "component_rates",
    "flaky_and_slow",
    "history_view",
    "quarantine_of",
    "run_marks",
]

#: the series a report charts
TREND_METRICS: tuple[str, ...] = (
    "tests.pass_rate",
    "pipeline.duration_s",
    "coverage.line",
    "history.flaky_rate",
    "tests.retried",
)


@dataclass(slots=True)
class HistoryView:
    """What the history store contributes to a report: trend series, flaky and slow tests."""

    #: metric name -> [(label, value)] oldest first (label: run start or id)
    trends: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    flaky: list[dict[str, Any]] = field(default_factory=list)
    #: ``history.flaky_rate`` of the same window (FlakyRate.to_dict() plus its description)
    flaky_rate: dict[str, Any] | None = None
    slow: list[dict[str, Any]] = field(default_factory=list)


def _evidence(v: dict[str, Any]) -> str:
    text = f"{v['failures']} failures and {v['flips']} flips in {v['runs']} runs"
    if v.get("since_commit"):
        text += f"; failing since commit {str(v['since_commit'])[:10]}"
    if v.get("last_seen"):
        text += f"; last seen {str(v['last_seen'])[:19].replace('T', ' ')}"
    return text


def flaky_and_slow(
    store: HistoryStore, *, branch: str | None, window: int, min_runs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Broken then flaky tests, and the slowest tests by total time, as plain dicts."""
    from testgate.history.flaky import FlakyParams, find_flaky
    from testgate.history.slow import SlowParams, find_slow

    report = find_flaky(store, FlakyParams(window=window, min_runs=min_runs), branch=branch)
    flaky: list[dict[str, Any]] = []
    for kind, verdicts in (("broken", report.broken), ("flaky", report.flaky)):
        for v in verdicts:
            d = v.to_dict()
            d["kind"] = kind
            d["evidence"] = _evidence(d)
            flaky.append(d)
    slow = [t.to_dict() for t in find_slow(store, SlowParams(window=window), branch=branch).top]
    return flaky, slow


def history_view(
    store: HistoryStore,
    *,
    branch: str | None,
    window: int = 50,
    min_runs: int = 5,
    analyses: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
    rate: dict[str, Any] | None = None,
) -> HistoryView | None:
    """The history of *branch* (every branch when None) for a report; None when it is empty.

    *analyses* (what :func:`flaky_and_slow` returned) and *rate* (the ``flaky_rate`` dict),
    when the caller has them already (the dashboard), are used instead of computing them."""
    trends: dict[str, list[tuple[str, float]]] = {}
    for metric in TREND_METRICS:
        points = store.metric_series(metric, branch=branch, limit=window)
        if points:
            trends[metric] = [(f"{i.id} ({i.started_at:%Y-%m-%d %H:%M})", v) for i, v in points]
    if not trends:
        return None
    from testgate.history.flaky import flaky_rate

    if analyses is None:
        analyses = flaky_and_slow(store, branch=branch, window=window, min_runs=min_runs)
    flaky, slow = analyses
    if rate is None:
        r = flaky_rate(store, branch=branch, window=window)
        rate = {**r.to_dict(), "text": r.describe()} if r is not None else None
    return HistoryView(trends=trends, flaky=flaky[:20], slow=slow[:20], flaky_rate=rate)


# ---- the dashboard's views (runs as the store gives them) ----------------------------------


def quarantine_of(info: RunInfo) -> dict[str, dict[str, Any]]:
    """Test id -> the active quarantine entry (owner, reason, expiry) recorded with the run."""
    out: dict[str, dict[str, Any]] = {}
    for q in info.meta.get("quarantine") or []:
        if isinstance(q, dict) and not q.get("expired"):
            for tid in q.get("tests") or []:
                out.setdefault(str(tid), {k: q.get(k) for k in ("owner", "reason", "expires")})
    return out


def run_marks(info: RunInfo) -> list[dict[str, str]]:
    """What a run list shows beside a run: outage, gate bypass, quarantined failures, incidents
    (``kind`` and a one-line ``text``)."""
    from testgate.history.outage import outage_reason
    from testgate.verdict import bypass_text

    marks: list[dict[str, str]] = []
    why = outage_reason(info.tests_total, info.tests_failed, info.meta)
    if why:
        marks.append({"kind": "outage", "text": f"outage: {why}"})
    bypass = info.meta.get("bypass")
    text = bypass_text(bypass) if isinstance(bypass, dict) else None
    if text:
        marks.append({"kind": "bypass", "text": text})
    # quarantine: only when it excused failures of this run (entries that matched nothing, or
    # expired ones, excuse nothing)
    active = [
        q
        for q in info.meta.get("quarantine") or []
        if isinstance(q, dict) and not q.get("expired") and q.get("tests")
    ]
    if active:
        excused = len({t for q in active for t in q["tests"]})
        owners = sorted({str(q.get("owner")) for q in active if q.get("owner")})
        text = f"quarantine excused {excused} failure(s)"
        marks.append(
            {
                "kind": "quarantine",
                "text": text + (f" (owner {', '.join(owners)})" if owners else ""),
            }
        )
    incidents = [i for i in info.meta.get("incidents") or [] if isinstance(i, dict)]
    if incidents:
        ids = ", ".join(str(i.get("id")) for i in incidents)
        marks.append({"kind": "incident", "text": f"escaped to production: {ids}"})
    return marks


def alerts_of(runs: list[RunInfo]) -> list[dict[str, Any]]:
    """The alerts each run fired when it was recorded (kept in its meta), newest run first."""
    out: list[dict[str, Any]] = []
    for r in runs:
        for a in r.meta.get("alerts") or []:
            if isinstance(a, dict) and a.get("name"):
                out.append({**a, "run": r.id, "branch": r.branch, "started_at": _iso(r.started_at)})
    return out


def component_rates(store: HistoryStore, runs: list[RunInfo]) -> list[dict[str, Any]]:
    """Failure rate by component (a test's suite, as its report names it) over *runs* (newest
    first): per component, the series oldest first and the totals, worst newest rate first."""
    per_run = store.suite_failures(runs)
    names = sorted({s for d in per_run.values() for s in d})
    out: list[dict[str, Any]] = []
    for name in names:
        series = []
        ran = failed = 0
        for r in reversed(runs):
            n, bad = per_run.get(r.id, {}).get(name, (0, 0))
            if n:
                ran += n
                failed += bad
                series.append(
                    {
                        "run": r.id,
                        "started_at": _iso(r.started_at),
                        "tests": n,
                        "failed": bad,
                        "failure_rate": round(100.0 * bad / n, 2),
                    }
                )
        if series:
            out.append(
                {
                    "component": name,
                    "runs": len(series),
                    "tests_run": ran,
                    "failed": failed,
                    "failure_rate": round(100.0 * failed / ran, 2) if ran else 0.0,
                    "last_failure_rate": series[-1]["failure_rate"],
                    "series": series,
                }
            )
    out.sort(key=lambda c: (-c["last_failure_rate"], -c["failure_rate"], c["component"]))
    return out
