"""What the dashboard computes from the store: flaky and slow tests, cumulative metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testgate.history.prom import Aggregate
from testgate.history.view import flaky_and_slow

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore

__all__ = ["cumulative_aggregate", "flaky_and_slow"]


def cumulative_aggregate(store: HistoryStore) -> Aggregate:
    """The sum of every recorded run's Prometheus aggregate (kept in the run's meta)."""
    agg = Aggregate()
    for meta in store.run_metas():
        data = meta.get("prom")
        if data:
            agg.add(Aggregate.from_dict(data))
    return agg
