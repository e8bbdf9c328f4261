"""What the history store adds to a report or the dashboard: trends, flaky and slow tests.

The HTML report, the Markdown summary and the dashboard read the history through this view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["TREND_METRICS", "HistoryView", "flaky_and_slow", "history_view"]

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
    store: HistoryStore, *, branch: str | None, window: int = 50, min_runs: int = 5
) -> HistoryView | None:
    """The history of *branch* (every branch when None) for a report; None when it is empty."""
    trends: dict[str, list[tuple[str, float]]] = {}
    for metric in TREND_METRICS:
        points = store.metric_series(metric, branch=branch, limit=window)
        if points:
            trends[metric] = [(f"{i.id} ({i.started_at:%Y-%m-%d %H:%M})", v) for i, v in points]
    if not trends:
        return None
    from testgate.history.flaky import flaky_rate

    flaky, slow = flaky_and_slow(store, branch=branch, window=window, min_runs=min_runs)
    rate = flaky_rate(store, branch=branch, window=window)
    return HistoryView(
        trends=trends,
        flaky=flaky[:20],
        slow=slow[:20],
        flaky_rate={**rate.to_dict(), "text": rate.describe()} if rate is not None else None,
    )
