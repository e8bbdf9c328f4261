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
    from testgate.history.branches import BranchChoice
    from testgate.history.reads import ReadQueries, SqliteReader
    from testgate.history.store import HistoryStore

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "analysed_branch",
    "console",
    "db_options",
    "load_optional_config",
    "open_for_cli",
    "open_reader_for_cli",
    "print_table",
    "table",
    "window_options",
]


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


def window_options(f: F) -> F:
    """``--branch B`` and ``--window N``, shared by the commands that analyse recent runs."""
    f = click.option(
        "--window",
        type=click.IntRange(2),
        default=None,
        help="Runs to look back over [default: history.window, 50].",
    )(f)
    f = click.option(
        "--all-branches",
        is_flag=True,
        help="Mix the runs of every branch (on purpose: a fix on a PR branch then hides a "
        "test still broken on main).",
    )(f)
    return click.option(
        "--branch",
        default=None,
        help="Only runs on this branch [default: history.default_branch, else git's default "
        "branch, else main or master].",
    )(f)


def analysed_branch(
    store: ReadQueries, loaded: LoadedConfig | None, branch: str | None, all_branches: bool
) -> BranchChoice:
    """The branch an analysis command looks at (see :mod:`testgate.history.branches`)."""
    from testgate.errors import UsageError
    from testgate.history.branches import default_branch

    if branch and all_branches:
        raise UsageError("--branch and --all-branches exclude each other; give one")
    configured = loaded.config.history.default_branch if loaded is not None else None
    return default_branch(
        store,
        branch=branch,
        all_branches=all_branches,
        configured=configured,
        root=loaded.root if loaded is not None else Path.cwd(),
    )


def load_optional_config(config_path: str | None) -> LoadedConfig | None:
    """The configuration named by ``-c``, or found here or above; None when there is none."""
    from testgate.config.files import find_config
    from testgate.errors import ConfigError

    if config_path is None:
        try:
            config_path = str(find_config())
        except ConfigError:
            return None  # no configuration: the schema (pydantic) is never imported
    from testgate.config.loader import load_config

    return load_config(config_path)


def open_for_cli(
    db: str | None, config_path: str | None, *, create: bool = True, pool_size: int | None = None
) -> tuple[HistoryStore, LoadedConfig | None]:
    """The store the options name, and the configuration.

    With ``create=False`` (commands that only read), a SQLite file that does not exist yet is
    not created: the command sees an empty in-memory store under the file's name.
    """
    loaded = load_optional_config(config_path)
    return _open(db, loaded, create=create, pool_size=pool_size), loaded


def _open(
    db: str | None, loaded: LoadedConfig | None, *, create: bool, pool_size: int | None
) -> HistoryStore:
    from testgate.history.store import open_store, resolve_url

    url = resolve_url(db, loaded, cwd=Path.cwd())
    if not create and url.startswith("sqlite:///") and not Path(url[10:]).exists():
        store = open_store("sqlite://")
        store.url = url  # messages name the store the user asked for
        return store
    return open_store(url, pool_size=pool_size)


def open_reader_for_cli(
    db: str | None, config_path: str | None
) -> tuple[SqliteReader | HistoryStore, LoadedConfig | None]:
    """For the commands that only run the analyses' reads (``history list``, ``flaky``,
    ``slow``): a SQLite store at the current schema is read with :mod:`sqlite3` alone, without
    importing SQLAlchemy; any other store is opened as :func:`open_for_cli` opens it (created
    empty in memory when missing, migrated when older, PostgreSQL through SQLAlchemy)."""
    from testgate.history.engine import resolve_url
    from testgate.history.reads import open_reader

    loaded = load_optional_config(config_path)
    reader = open_reader(resolve_url(db, loaded, cwd=Path.cwd()))
    if reader is not None:
        return reader, loaded
    return _open(db, loaded, create=False, pool_size=None), loaded


def console() -> Console:
    """A Rich console on the current stdout: plain and 160 columns wide when not a terminal,
    so that output in CI logs and tests is the same everywhere."""
    from rich.console import Console

    out = sys.stdout
    tty = out.isatty()
    return Console(
        file=out,
        width=None if tty else 160,
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


def table(*columns: str, title: str | None = None) -> Any:
    """A borderless Rich table whose cells never wrap (ids stay greppable) and are text, never
    markup (``test_x[a-b]`` stays as it is)."""
    from rich.table import Table
    from rich.text import Text

    class LiteralTable(Table):
        def add_row(self, *cells: Any, **kw: Any) -> None:
            super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kw)

    t = LiteralTable(box=None, pad_edge=False, title=title, title_justify="left")
    for c in columns:
        t.add_column(c, no_wrap=True)
    return t


def print_table(t: Any) -> None:
    """Print a table without the trailing blanks Rich pads lines with; without a terminal as
    wide as it needs (a cell is never cut: logs keep whole test ids)."""
    con = console()
    if not con.is_terminal:
        from rich.console import Console

        con = Console(width=100_000, color_system=None, highlight=False)
        width = con.measure(t).maximum
        con = Console(width=max(width, 20), color_system=None, highlight=False)
    with con.capture() as cap:
        con.print(t)
    click.echo("\n".join(line.rstrip() for line in cap.get().splitlines()))
