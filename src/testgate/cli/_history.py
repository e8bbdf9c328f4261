"""Opening the history store the way every history-reading command does."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testgate.config import LoadedConfig
    from testgate.history.store import HistoryStore

__all__ = ["open_configured_store"]


def open_configured_store(
    db: str | None, config_path: str | None
) -> tuple[HistoryStore, LoadedConfig | None]:
    """The store named by ``--db`` > ``TESTGATE_DB`` > ``history.url`` > the default, and the
    configuration when there is one (none is fine when ``--db`` or ``TESTGATE_DB`` says where)."""
    from testgate.config import find_config, load_config
    from testgate.errors import ConfigError
    from testgate.history.store import open_store, resolve_url

    loaded: LoadedConfig | None
    if config_path:
        loaded = load_config(config_path)
    else:
        try:
            loaded = load_config(find_config())
        except ConfigError as exc:
            if exc.slug != "no-config":
                raise
            loaded = None
    return open_store(resolve_url(db, loaded)), loaded
