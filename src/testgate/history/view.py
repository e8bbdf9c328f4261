"""What the history store adds to a report or the dashboard: trends, flaky and slow tests.

The HTML report, the Markdown summary and the dashboard read the history through this view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from testgate.history.rows import RunInfo, _iso

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore
    from testgate.model import Run

__all__ = [
    "CHART_METRICS",
    "TREND_METRICS",
    "HistoryView",
    "alerts_of",
    "component_rates",
    "flaky_and_slow",
    "history_view",
    "quarantine_of",
    "run_list_marks",
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

#: the series the HTML report's uPlot charts draw (besides TREND_METRICS), when recorded
CHART_METRICS: tuple[str, ...] = (
    "coverage.branch",
    "coverage.new_code",
    "tests.failed",
    "tests.total",
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
    #: metric name -> [[unix seconds, value, run id]] oldest first (the report's charts)
    series: dict[str, list[list[Any]]] = field(default_factory=dict)
    #: failed test id -> its history mark: {"kind": new | broken | flaky | recurring, ...}
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: tests that failed in the previous run and pass in this one: [{"test", "run", "commit"}]
    fixed: list[dict[str, Any]] = field(default_factory=list)
    #: the run compared against: {"run", "commit", "branch", "started_at", "metrics"}
    base: dict[str, Any] | None = None
    #: tests of this run the base run did not have, slowest first: [{"test", "duration"}]
    new_tests: list[dict[str, Any]] = field(default_factory=list)
    #: ``testgate insights``' improvement plan for the same window (build_insights)
    insights: dict[str, Any] | None = None
    #: alerts of the window's runs: [[unix seconds, run id, text]]
    alerts: list[list[Any]] = field(default_factory=list)


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
    flaky, slow, _ = _analyses(store, branch=branch, window=window, min_runs=min_runs)
    return flaky, slow


def _analyses(
    store: HistoryStore, *, branch: str | None, window: int, min_runs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], tuple[Any, Any]]:
    """:func:`flaky_and_slow`, and the flaky and slow reports it read (insights reuse them)."""
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
    slow_report = find_slow(store, SlowParams(window=window), branch=branch)
    slow = [t.to_dict() for t in slow_report.top]
    return flaky, slow, (report, slow_report)


def _ts(dt: datetime) -> int:
    return int(dt.replace(tzinfo=timezone.utc).timestamp())


def _flip_runs(seq: list[tuple[int, int, bool, int]], runs: list[RunInfo], n: int = 3) -> list[Any]:
    """The last *n* runs in which the test's outcome flipped (failed <-> passed), newest first."""
    out: list[dict[str, Any]] = []
    prev: bool | None = None
    for i, status, _flaky, _attempts in seq:
        if status == 3:
            continue
        failed = status in (1, 2)
        if prev is not None and failed != prev:
            r = runs[i]
            out.append({"run": r.id, "commit": r.commit, "at": _iso(r.started_at), "to": failed})
        prev = failed
    return out[-n:][::-1]


def run_marks(
    store: HistoryStore,
    run: Run,
    flaky: list[dict[str, Any]],
    *,
    branch: str | None,
    window: int,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None, list[Any]]:
    """The history mark of each failed test of *run*, the tests it fixed, its base run and the
    tests the base run did not have (slowest first).

    A mark is what the history says about one failure: ``broken`` (since a commit and date),
    ``flaky`` (score, flips, the last flips), ``new`` (no failure of it in the last *window*
    recorded runs before this one) or ``recurring`` (it failed before, but neither flaky nor
    broken by the analysis). The current run is left out of "before" when it is recorded.
    """
    failed = [t.id for t in run.tests if t.status in ("failed", "error")]
    rw = store.results_window(branch, window + 1, unhealthy_only=True)
    runs = rw.runs
    me = next((i for i, r in enumerate(runs) if r.id == run.id), None)
    end = me if me is not None else len(runs)
    verdicts = {f["test"]: f for f in flaky}
    marks: dict[str, dict[str, Any]] = {}
    for test in failed:
        seq = [o for o in rw.outcomes.get(test, []) if o[0] < end]
        before = [o for o in seq if o[1] in (1, 2)]
        v = verdicts.get(test)
        if v is not None and v.get("kind") == "broken":
            marks[test] = {
                "kind": "broken",
                "since_commit": v.get("since_commit"),
                "since": v.get("since_started_at"),
                "since_run": v.get("since_run"),
                "streak": v.get("streak"),
                "text": "broken since commit "
                + str(v.get("since_commit") or "?")[:10]
                + (f" ({str(v['since_started_at'])[:10]})" if v.get("since_started_at") else ""),
            }
        elif v is not None:
            last = _flip_runs(seq, runs)
            marks[test] = {
                "kind": "flaky",
                "score": v.get("score"),
                "flips": v.get("flips"),
                "runs": v.get("runs"),
                "last_flips": last,
                "text": f"known flaky (score {float(v.get('score') or 0):.2f}, "
                f"{v.get('flips')} flips in {v.get('runs')} runs"
                + (f", last {str(last[0]['at'])[:10]}" if last and last[0].get("at") else "")
                + ")",
            }
        elif not before:
            n = end
            marks[test] = {
                "kind": "new",
                "runs": n,
                "text": f"new: first failure in the last {n} recorded runs"
                if n
                else "new: no earlier run is recorded",
            }
        else:
            r = runs[before[-1][0]]
            marks[test] = {
                "kind": "recurring",
                "failures": len(before),
                "runs": end,
                "last_run": r.id,
                "text": f"failed before: {len(before)} of the last {end} runs, last {r.id}",
            }
    base = runs[end - 1] if end >= 1 else None
    if run.vcs.base_ref:
        pts = store.metric_series("coverage.line", branch=run.vcs.base_ref, limit=1)
        if pts and pts[-1][0].id != run.id:
            base = pts[-1][0]
    fixed: list[dict[str, Any]] = []
    base_d: dict[str, Any] | None = None
    new_tests: list[dict[str, Any]] = []
    if base is not None:
        bi = next((i for i, r in enumerate(runs) if r.pk == base.pk), None)
        passed_now = {t.id for t in run.tests if t.status == "passed"}
        if bi is not None:
            for test, seq in rw.outcomes.items():
                if test in passed_now and any(o[0] == bi and o[1] in (1, 2) for o in seq):
                    fixed.append({"test": test, "run": base.id, "commit": base.commit})
        fixed.sort(key=lambda f: f["test"])
        full = store.get_run(base.id)
        metrics = dict(full.metrics) if full is not None else {}
        base_d = {
            "run": base.id,
            "commit": base.commit,
            "branch": base.branch,
            "started_at": _iso(base.started_at),
            "metrics": metrics,
        }
        known = {r.test_id for r in store.run_results(base)}
        fresh = sorted(
            (t for t in run.tests if t.id not in known and t.status != "skipped"),
            key=lambda t: -t.duration_s,
        )
        new_tests = [{"test": t.id, "duration": t.duration_s} for t in fresh[:10]]
    return marks, fixed, base_d, new_tests


def history_view(
    store: HistoryStore,
    *,
    branch: str | None,
    window: int = 50,
    min_runs: int = 5,
    run: Run | None = None,
    analyses: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
    rate: dict[str, Any] | None = None,
) -> HistoryView | None:
    """The history of *branch* (every branch when None) for a report; None when it is empty.

    With *run*, each of its failed tests gets its history mark, and the tests it fixed, its
    base run and its new tests are looked up (the PR summary leads with them). *analyses*
    (what :func:`flaky_and_slow` returned) and *rate* (the ``flaky_rate`` dict), when the
    caller has them already (the dashboard), are used instead of computing them."""
    trends: dict[str, list[tuple[str, float]]] = {}
    series: dict[str, list[list[Any]]] = {}
    for metric in TREND_METRICS + CHART_METRICS:
        points = store.metric_series(metric, branch=branch, limit=window)
        if points:
            if metric in TREND_METRICS:
                trends[metric] = [(f"{i.id} ({i.started_at:%Y-%m-%d %H:%M})", v) for i, v in points]
            series[metric] = [[_ts(i.started_at), v, i.id] for i, v in points]
    if not trends:
        return None
    from testgate.history.flaky import flaky_rate

    reports: tuple[Any, Any] | None = None
    if analyses is None:
        flaky, slow, reports = _analyses(store, branch=branch, window=window, min_runs=min_runs)
    else:
        flaky, slow = analyses
    if rate is None:
        r = flaky_rate(store, branch=branch, window=window)
        rate = {**r.to_dict(), "text": r.describe()} if r is not None else None
    view = HistoryView(
        trends=trends,
        flaky=flaky[:20],
        slow=slow[:20],
        flaky_rate=rate,
        series={**series, **run_series(store, store.window_runs(branch, window))},
        alerts=_alerts(store, branch, window),
        insights=_insights(store, branch, window, reports),
    )
    if run is not None:
        view.marks, view.fixed, view.base, view.new_tests = run_marks(
            store, run, flaky, branch=branch, window=window
        )
    return view


def _insights(
    store: HistoryStore, branch: str | None, window: int, reports: tuple[Any, Any] | None
) -> dict[str, Any]:
    from testgate.history.insights import build_insights

    return build_insights(store, None, branch=branch, window=window, reports=reports)


def run_series(
    store: HistoryStore, runs: list[RunInfo], top: int = 6
) -> dict[str, list[list[Any]]]:
    """Per run of *runs*: each stage's time (``stage.<name>.duration_s``: its longest step, the
    steps of a stage run in parallel) and the failed tests of each suite
    (``failures.<suite>``, the *top* suites with most failures, 0 in runs without any)."""
    stage: dict[str, list[list[Any]]] = {}
    fails: dict[str, dict[int, int]] = {}
    for k, info in enumerate(runs):
        longest: dict[str, float] = {}
        for st in store.run_steps(info):
            longest[st.stage] = max(longest.get(st.stage, 0.0), st.duration_s)
        for name, d in longest.items():
            stage.setdefault(f"stage.{name}.duration_s", []).append(
                [_ts(info.started_at), round(d, 3), info.id]
            )
        if info.tests_failed:
            failed = store.run_results(info, failures_only=True)
            dims = store.test_infos([r.test_id for r in failed])
            for r in failed:
                suite = dims.get(r.test_id, ("?", "", "", None))[0] or "?"
                fails.setdefault(suite, {})[k] = fails.get(suite, {}).get(k, 0) + 1
    out = dict(stage)
    biggest = sorted(fails, key=lambda s: -sum(fails[s].values()))[:top]
    for suite in biggest:
        out[f"failures.{suite}"] = [
            [_ts(r.started_at), fails[suite].get(k, 0), r.id] for k, r in enumerate(runs)
        ]
    return out


def _alerts(store: HistoryStore, branch: str | None, window: int) -> list[list[Any]]:
    """The alerts recorded on the window's runs, as chart markers."""
    out: list[list[Any]] = []
    for info in store.window_runs(branch, window):
        for a in info.meta.get("alerts") or []:
            if isinstance(a, dict):
                text = str(a.get("text") or a.get("message") or a.get("name") or "alert")
            else:
                text = str(a)
            out.append([_ts(info.started_at), info.id, text])
    return out


# ---- the dashboard's views (runs as the store gives them) ----------------------------------


def quarantine_of(info: RunInfo) -> dict[str, dict[str, Any]]:
    """Test id -> the active quarantine entry (owner, reason, expiry) recorded with the run."""
    out: dict[str, dict[str, Any]] = {}
    for q in info.meta.get("quarantine") or []:
        if isinstance(q, dict) and not q.get("expired"):
            for tid in q.get("tests") or []:
                out.setdefault(str(tid), {k: q.get(k) for k in ("owner", "reason", "expires")})
    return out


def run_list_marks(info: RunInfo) -> list[dict[str, str]]:
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
