"""What the dashboard computes from the store: flaky and slow tests, cumulative metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testgate.server.prom import Aggregate

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["cumulative_aggregate", "flaky_and_slow"]


def flaky_and_slow(
    store: HistoryStore, *, branch: str | None, window: int, min_runs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Flaky/broken tests and the slowest tests, as plain dicts for pages and the API."""
    return [], []


def cumulative_aggregate(store: HistoryStore) -> Aggregate:
    """The sum of every recorded run's Prometheus aggregate (kept in the run's meta)."""
    agg = Aggregate()
    for info in store.runs(limit=1_000_000):
        data = info.meta.get("prom")
        if data:
            agg.add(Aggregate.from_dict(data))
    return agg
