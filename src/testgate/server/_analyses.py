"""What the dashboard computes from the store: flaky and slow tests, cumulative metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testgate.server.prom import Aggregate

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["cumulative_aggregate", "flaky_and_slow"]


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


def cumulative_aggregate(store: HistoryStore) -> Aggregate:
    """The sum of every recorded run's Prometheus aggregate (kept in the run's meta)."""
    agg = Aggregate()
    for info in store.runs(limit=1_000_000):
        data = info.meta.get("prom")
        if data:
            agg.add(Aggregate.from_dict(data))
    return agg
