"""History: every run remembered; flaky, broken and slow tests; trends and alerts.

:func:`open_store` gives a :class:`HistoryStore` (SQLite by default, PostgreSQL by URL);
:func:`record_run` records a run and fires the configured alerts. The analyses
(:mod:`~testgate.history.flaky`, :mod:`~testgate.history.slow`) are pure functions over data
the store fetches.
"""

from __future__ import annotations

from testgate.history.alerts import AlertFired
from testgate.history.recording import record_run
from testgate.history.store import HistoryStore, RunInfo, open_store, resolve_url

__all__ = ["AlertFired", "HistoryStore", "RunInfo", "open_store", "record_run", "resolve_url"]
