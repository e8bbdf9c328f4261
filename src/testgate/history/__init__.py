"""History: every run remembered; flaky, broken and slow tests; trends and alerts.

:func:`open_store` gives a :class:`HistoryStore` (SQLite by default, PostgreSQL by URL);
:func:`record_run` records a run and fires the configured alerts; :func:`last_run` gives the
last recorded run of a branch or commit (the gates' ``--baseline REF``). The analyses
(:mod:`~testgate.history.flaky`, :mod:`~testgate.history.slow`) are pure functions over data
the store fetches.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.history.alerts import AlertFired
    from testgate.history.recording import record_run
    from testgate.history.rows import RunInfo
    from testgate.history.store import HistoryStore, open_store, resolve_url
    from testgate.model import Run

__all__ = [
    "AlertFired",
    "HistoryStore",
    "RunInfo",
    "last_run",
    "open_store",
    "record_run",
    "resolve_url",
]


def __getattr__(name: str) -> Any:
    # the store (SQLAlchemy) and recording (alerts, their expression language, webhooks) are
    # imported when first used: the commands that only read a SQLite history (flaky, slow,
    # history list) start without them (testgate.history.reads)
    if name in ("HistoryStore", "open_store", "resolve_url"):
        from testgate.history import store

        return getattr(store, name)
    if name == "RunInfo":
        from testgate.history.rows import RunInfo

        return RunInfo
    if name == "record_run":
        from testgate.history.recording import record_run

        return record_run
    if name == "AlertFired":
        from testgate.history.alerts import AlertFired

        return AlertFired
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def last_run(
    ref: str | None = None, config: LoadedConfig | None = None, db_url: str | None = None
) -> Run | None:
    """The newest recorded run of *ref* (a branch, a commit or a prefix of one, a run id),
    from the store *config* names (``db_url`` > ``TESTGATE_DB`` > ``history.url`` > default).

    None when there is no such run, or no store yet: asking never creates a database.
    """
    from testgate.history.store import open_store, resolve_url

    url = resolve_url(db_url, config)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return None
    with open_store(url) as store:
        return store.last_run(ref)
