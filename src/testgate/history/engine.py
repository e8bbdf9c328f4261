"""Where the store lives: URL resolution and engines (SQLite tuned for many writers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.errors import HistoryError, require_extra

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from testgate.config.loader import LoadedConfig

__all__ = [
    "DEFAULT_DB_NAME",
    "SQLITE_BUSY_TIMEOUT_S",
    "make_engine",
    "normalize_url",
    "resolve_url",
    "sqlite_pragmas",
]

DEFAULT_DB_NAME = "history.db"
#: seconds a SQLite writer waits for the lock before giving up (eight writers queue easily)
SQLITE_BUSY_TIMEOUT_S = 120.0


def normalize_url(url: str, base: Path | None = None) -> str:
    """A SQLAlchemy URL from what a user wrote.

    ``postgresql://`` and ``postgres://`` use psycopg 3; a plain path (no ``://``) is a SQLite
    file, relative to *base*; a relative ``sqlite:///`` path is relative to *base* as well.
    """
    url = url.strip()
    if not url:
        raise HistoryError("the history database URL is empty", slug="history-url")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("postgresql+") and not url.startswith("postgresql+psycopg"):
        raise HistoryError(
            f"{url.split('://', 1)[0]}: testgate talks to PostgreSQL with psycopg 3; "
            "write postgresql://... or postgresql+psycopg://...",
            slug="history-url",
        )
    if "://" not in url:
        path = Path(url).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return f"sqlite:///{path}"
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        raw = url[len("sqlite:///") :]
        if raw and not raw.startswith("/") and base is not None:
            return f"sqlite:///{base / raw}"
    return url


def resolve_url(
    db: str | None = None,
    loaded: LoadedConfig | None = None,
    *,
    env: dict[str, str] | os._Environ[str] | None = None,
    cwd: Path | None = None,
) -> str:
    """The store URL: ``--db`` > ``TESTGATE_DB`` > ``history.url`` in the config > default.

    The default is ``.testgate/history.db`` beside the configuration file (or in the current
    directory when there is none).
    """
    environ = os.environ if env is None else env
    root = loaded.root if loaded is not None else (cwd or Path.cwd())
    if db:
        return normalize_url(db, cwd or Path.cwd())
    if environ.get("TESTGATE_DB"):
        return normalize_url(environ["TESTGATE_DB"], cwd or Path.cwd())
    if loaded is not None and loaded.config.history.url:
        return normalize_url(loaded.config.history.url, loaded.root)
    return f"sqlite:///{root / '.testgate' / DEFAULT_DB_NAME}"


def sqlite_pragmas(*, memory: bool) -> list[str]:
    """How every connection to a SQLite store is set up (the engine's and the plain sqlite3
    reader's alike)."""
    return [
        f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}",
        *([] if memory else ["PRAGMA journal_mode = WAL"]),
        "PRAGMA synchronous = NORMAL",
        "PRAGMA cache_size = -65536",  # 64 MiB: the results index stays hot
    ]


def _sqlite_engine(url: str, pool: dict[str, Any]) -> Engine:
    # SQLAlchemy is imported when an engine is made: the commands that only read a SQLite store
    # (testgate.history.reads) use this module's URL functions without it
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import StaticPool

    memory = url in ("sqlite://", "sqlite:///:memory:")
    if not memory:
        path = Path(url[len("sqlite:///") :])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                f"{path.parent}: cannot create the history folder ({exc})", slug="history-db"
            ) from exc
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        **({"poolclass": StaticPool} if memory else pool),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # the driver must not open transactions itself: we emit BEGIN (IMMEDIATE) below
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in sqlite_pragmas(memory=memory):
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("testgate_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine for a normalised URL; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE.

    *pool_size* (the dashboard: as many connections as it has worker threads) replaces
    SQLAlchemy's default pool of 5 (+10 overflow), so that no request waits for a connection."""
    pool: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool)
    if url.startswith("postgresql+psycopg"):
        require_extra("postgres", "a PostgreSQL history store", "psycopg")
    from sqlalchemy import create_engine

    return create_engine(url, pool_pre_ping=True, **pool)
