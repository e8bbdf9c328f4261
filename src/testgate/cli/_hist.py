"""Options and helpers shared by the history commands (history, flaky, slow, insights)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from testgate.cli._common import config_option

if TYPE_CHECKING:
    from rich.console import Console

    from testgate.config.loader import LoadedConfig
    from testgate.history.store import HistoryStore

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["console", "db_options", "load_optional_config", "open_for_cli"]


def db_options(f: F) -> F:
    """``--db URL`` and ``-c FILE``."""
    f = click.option(
        "--db",
        "db",
        metavar="URL",
        default=None,
        help="History store: a SQLAlchemy URL (sqlite:///path, postgresql://...) or a SQLite "
        "file path. Wins over TESTGATE_DB and history.url in the config; the default is "
        ".testgate/history.db beside the config.",
    )(f)
    return config_option(f)


def load_optional_config(config_path: str | None) -> LoadedConfig | None:
    """The configuration named by ``-c``, or found here or above; None when there is none."""
    from testgate.config.loader import find_config, load_config
    from testgate.errors import ConfigError

    if config_path is not None:
        return load_config(config_path)
    try:
        path = find_config()
    except ConfigError:
        return None
    return load_config(path)


def open_for_cli(
    db: str | None, config_path: str | None
) -> tuple[HistoryStore, LoadedConfig | None]:
    from testgate.history.store import open_store, resolve_url

    loaded = load_optional_config(config_path)
    return open_store(resolve_url(db, loaded, cwd=Path.cwd())), loaded


def console() -> Console:
    """A Rich console on the current stdout: plain and 100 columns wide when not a terminal,
    so that output in CI logs and tests is the same everywhere."""
    from rich.console import Console

    out = sys.stdout
    tty = out.isatty()
    return Console(
        file=out,
        width=None if tty else 100,
        color_system="auto" if tty else None,
        highlight=False,
        soft_wrap=False,
    )


def fmt_time(iso: str | None) -> str:
    return "" if not iso else iso.replace("T", " ")[:19]


def fmt_num(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
