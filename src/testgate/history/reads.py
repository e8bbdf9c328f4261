"""The store's analysis reads, written once as SQL text, and a SQLite reader without SQLAlchemy.

The read-only history commands (``history list``, ``flaky``, ``slow``) spend more time importing
SQLAlchemy than querying a small store. Their queries are therefore SQL text with named
parameters (``:name``) run through a tiny :class:`ReadConn`: on a
:class:`~testgate.history.store.HistoryStore` it wraps the connection SQLAlchemy opened (its
driver's cursor: sqlite3 or psycopg), and on a :class:`SqliteReader` a plain :mod:`sqlite3`
connection. Both dialects run the same query code, so they give the same answers.

:func:`open_reader` gives a :class:`SqliteReader` only for a SQLite file already at the current
schema; anything else (a new file, an older schema that must be migrated, PostgreSQL) is left to
:func:`~testgate.history.store.open_store`.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

from testgate.errors import HistoryError
from testgate.history.constants import HEAD_REVISION
from testgate.history.engine import SQLITE_BUSY_TIMEOUT_S, sqlite_pragmas
from testgate.history.rows import (
    RUN_COLUMNS_SQL,
    ResultsWindow,
    RunInfo,
    _chunks,
    _id_range,
    _run_info,
)

__all__ = [
    "DriverConn",
    "ReadConn",
    "ReadQueries",
    "SqliteReader",
    "db_error",
    "open_reader",
    "param_names",
]

#: the predicate of the partial index ix_results_unhealthy, literally (so the planner uses it)
_UNHEALTHY = "(status IN (1, 2) OR flaky)"
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def param_names(sql: str) -> list[str]:
    """The ``:name`` parameters *sql* uses."""
    return _NAMED.findall(sql)


def db_error(url: str, reason: str, fallback: str) -> HistoryError:
    """The one message for a store that cannot be used (locked, unreadable, gone)."""
    first = reason.strip().splitlines()[0] if reason.strip() else fallback
    return HistoryError(f"{url}: cannot use the history store: {first}", slug="history-db")


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores a DateTime on SQLite as this text; comparisons are on the text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class ReadConn(Protocol):
    """One read transaction: rows of SQL text with ``:name`` parameters, as tuples."""

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]: ...


class DriverConn:
    """A :class:`ReadConn` on a DB-API connection: sqlite3 (``named`` parameters, as written)
    or psycopg (``pyformat``: ``:name`` becomes ``%(name)s``). Rows come from the driver's own
    cursor, without SQLAlchemy's row objects (hundreds of thousands of rows for ``slow``)."""

    def __init__(
        self,
        dbapi: Any,
        paramstyle: str,
        errors: tuple[type[BaseException], ...] = (),
        fail: Callable[[BaseException], HistoryError] | None = None,
    ) -> None:
        self._db = dbapi
        self._pyformat = paramstyle == "pyformat"
        self._errors = errors
        self._fail = fail

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        args: Mapping[str, Any] = params or {}
        if self._pyformat:
            sql = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        else:
            args = {k: _sqlite_value(v) for k, v in args.items()}
        cur = self._db.cursor()
        try:
            cur.execute(sql, args)
            return list(cur.fetchall())
        except self._errors as exc:
            if self._fail is None:
                raise
            raise self._fail(exc) from exc
        finally:
            cur.close()


def _rows_in(
    conn: ReadConn, sql: str, values: Sequence[Any], params: Mapping[str, Any] | None = None
) -> Iterator[Any]:
    """The rows of *sql* whose ``IN {}`` takes each chunk of *values* in turn, as
    ``(:in0, :in1, ...)``: a list both drivers accept, below SQLite's variable limit."""
    for chunk in _chunks(values):
        marks = {f"in{i}": v for i, v in enumerate(chunk)}
        where = "(" + ", ".join(f":{k}" for k in marks) + ")"
        yield from conn.rows(sql.format(where), {**(params or {}), **marks})


class ReadQueries:
    """The reads the analyses need, as SQL text; needs :meth:`_reading` from the store."""

    dialect: str

    def _reading(self) -> contextlib.AbstractContextManager[ReadConn]:
        raise NotImplementedError

    def _with_metrics(self, conn: ReadConn, infos: list[RunInfo]) -> list[RunInfo]:
        by_pk = {r.pk: r for r in infos}
        sql = "SELECT run_id, name, value FROM metrics WHERE run_id IN {}"
        for pk, name, value in _rows_in(conn, sql, list(by_pk)):
            by_pk[pk].metrics[name] = value
        return infos

    def _last_runs(self, conn: ReadConn, branch: str | None, limit: int) -> list[RunInfo]:
        """The last *limit* runs (on *branch*, or on every branch), newest first."""
        where = "" if branch is None else "WHERE runs.branch = :branch "
        sql = (
            f"SELECT {RUN_COLUMNS_SQL} FROM runs {where}"
            "ORDER BY runs.started_at DESC, runs.id DESC LIMIT :limit"
        )
        return [_run_info(r) for r in conn.rows(sql, {"branch": branch, "limit": limit})]

    def runs(self, branch: str | None = None, limit: int = 20) -> list[RunInfo]:
        """The last *limit* runs (on *branch*, or on every branch), newest first, with metrics."""
        with self._reading() as conn:
            return self._with_metrics(conn, self._last_runs(conn, branch, limit))

    def window_runs(self, branch: str | None = None, window: int = 50) -> list[RunInfo]:
        """The last *window* runs (on *branch*, or all), oldest first, without metrics."""
        with self._reading() as conn:
            rows = self._last_runs(conn, branch, window)
        rows.reverse()
        return rows

    def branch_counts(self) -> dict[str, int]:
        """Recorded runs per branch (runs without a branch are left out)."""
        sql = "SELECT branch, count(*) FROM runs WHERE branch IS NOT NULL GROUP BY branch"
        with self._reading() as conn:
            return {str(b): int(n) for b, n in conn.rows(sql)}

    def distinct_tests(self, runs: Sequence[RunInfo]) -> int:
        """How many different tests have a result in *runs* (skipped ones included)."""
        pks = [r.pk for r in runs]
        if not pks:
            return 0
        sql = "SELECT DISTINCT test FROM results WHERE run_id IN {}"
        with self._reading() as conn:
            seen = {t for (t,) in _rows_in(conn, sql, pks)}
        return len(seen)

    def test_infos(self, test_ids: Sequence[str]) -> dict[str, tuple[str, str, str, str | None]]:
        """test id -> (suite, class name, name, file) for the tests the store knows."""
        sql = "SELECT test_id, suite, classname, name, file FROM tests WHERE test_id IN {}"
        with self._reading() as conn:
            return {
                tid: (suite, cls, name, file)
                for tid, suite, cls, name, file in _rows_in(conn, sql, list(test_ids))
            }

    @staticmethod
    def _test_names(conn: ReadConn, keys: Iterable[int], names: dict[int, str]) -> None:
        """Add to *names* the test ids of the integer keys *keys* it lacks."""
        want = [k for k in keys if k not in names]
        sql = "SELECT id, test_id FROM tests WHERE id IN {}"
        names.update((int(k), str(v)) for k, v in _rows_in(conn, sql, want))

    def results_window(
        self,
        branch: str | None = None,
        window: int = 50,
        *,
        runs: list[RunInfo] | None = None,
        outcomes: bool = True,
        unhealthy_only: bool = False,
        exclude_runs: Iterable[int] = (),
        durations: bool = False,
    ) -> ResultsWindow:
        """The results of the last *window* runs, shaped for the analyses.

        With ``unhealthy_only``, outcomes are fetched only for tests that failed or were flaky
        in at least one run of the window outside *exclude_runs* (e.g. outages): a test that
        always passed can be neither flaky nor broken, and skipping it keeps the query's cost
        proportional to the failures, not to the size of the suite.
        """
        runs = self.window_runs(branch, window) if runs is None else runs
        out = ResultsWindow(runs=runs)
        if not runs:
            return out
        index = {r.pk: i for i, r in enumerate(runs)}
        pks = list(index)
        with self._reading() as conn:
            names: dict[int, str] = {}
            if outcomes:
                rows = self._outcome_rows(conn, pks, unhealthy_only, set(exclude_runs))
                self._test_names(conn, {row[0] for row in rows}, names)
                acc: dict[str, list[tuple[int, int, bool, int]]] = {}
                for test, run_pk, status, flaky, attempts in rows:
                    i = index.get(run_pk)
                    if i is not None:
                        acc.setdefault(names[test], []).append((i, status, bool(flaky), attempts))
                for seq in acc.values():
                    seq.sort()
                out.outcomes = acc
            if durations:
                series = self._duration_series(conn, pks)
                self._test_names(conn, series, names)
                out.durations = {names[k]: v for k, v in series.items()}
        return out

    def duration_series(self, runs: Sequence[RunInfo]) -> dict[str, list[float]]:
        """test id -> its durations in *runs* (oldest first), in run order, skipped results
        left out; tests in the order they first appear (run by run, in each run's order)."""
        if not runs:
            return {}
        with self._reading() as conn:
            series = self._duration_series(conn, [r.pk for r in runs], indexed=False)
            names: dict[int, str] = {}
            self._test_names(conn, series, names)
        return {names[k]: v for k, v in series.items()}

    @staticmethod
    def _duration_series(
        conn: ReadConn, pks: Sequence[int], *, indexed: bool = True
    ) -> dict[int, list[Any]]:
        """test key -> its (run index, seconds), or only its seconds when not *indexed*, in run
        order, over the runs *pks* (oldest first); skipped results left out."""
        out: dict[int, list[Any]] = {}
        block: list[list[float]] = []  # consecutive runs that hold the same tests in one order
        keys: list[int] = []
        first = 0

        def flush() -> None:
            # one transposition per block instead of a dictionary append per result: a suite's
            # runs mostly hold the same tests in the same order
            columns = zip(*block, strict=True)
            if not out and not indexed:  # the first block: all of it in C
                out.update(zip(keys, map(list, columns), strict=True))
                return
            at = range(first, first + len(block))
            for key, ds in zip(keys, columns, strict=True):
                values = zip(at, ds, strict=True) if indexed else ds
                got = out.get(key)
                if got is None:
                    out[key] = list(values)
                else:
                    got.extend(values)

        # one range scan per run, oldest first: runs outside the window (other branches) are
        # never read, and each test's list comes out in run order without a sort
        for i, run_pk in enumerate(pks):
            lo, hi = _id_range(run_pk, run_pk)
            rows = conn.rows(
                "SELECT test, duration_s FROM results WHERE id BETWEEN :lo AND :hi AND status <> 3",
                {"lo": lo, "hi": hi},
            )
            run_keys = list(map(itemgetter(0), rows))
            if run_keys != keys:
                flush()
                block, keys, first = [], run_keys, i
            block.append(list(map(itemgetter(1), rows)))
        flush()
        return out

    @staticmethod
    def _outcome_rows(
        conn: ReadConn, pks: list[int], unhealthy_only: bool, skip: set[int]
    ) -> list[Any]:
        """(test key, run key, status, flaky, attempts) of the window's runs *pks*."""
        if not unhealthy_only:
            lo, hi = _id_range(min(pks), max(pks))
            return conn.rows(
                "SELECT test, run_id, status, flaky, attempts FROM results "
                "WHERE id BETWEEN :lo AND :hi",
                {"lo": lo, "hi": hi},
            )
        scan = [pk for pk in pks if pk not in skip]
        sql = "SELECT DISTINCT test FROM results WHERE run_id IN {} AND " + _UNHEALTHY
        cand = {t for (t,) in _rows_in(conn, sql, scan)}
        sql = (
            "SELECT test, run_id, status, flaky, attempts FROM results "
            "WHERE test IN {} AND run_id BETWEEN :first AND :last"
        )
        return list(_rows_in(conn, sql, sorted(cand), {"first": min(pks), "last": max(pks)}))

    def failure_clusters(
        self, run_pks: Sequence[int], min_size: int
    ) -> dict[int, dict[str, list[str]]]:
        """run key -> fingerprint -> the ids of the tests that failed with it in that run, for
        the fingerprints at least *min_size* tests of one run share (partial outages)."""
        groups: dict[tuple[int, str], list[int]] = {}
        sql = (
            "SELECT run_id, fingerprint, test FROM results "
            "WHERE run_id IN {} AND fingerprint IS NOT NULL"
        )
        with self._reading() as conn:
            for run_pk, fp, test in _rows_in(conn, sql, list(run_pks)):
                groups.setdefault((int(run_pk), str(fp)), []).append(int(test))
            big = {k: v for k, v in groups.items() if len(v) >= min_size}
            names: dict[int, str] = {}
            self._test_names(conn, sorted({t for v in big.values() for t in v}), names)
        out: dict[int, dict[str, list[str]]] = {}
        for (run_pk, fp), tests in big.items():
            out.setdefault(run_pk, {})[fp] = sorted(names[t] for t in tests if t in names)
        return out

    def last_pass_before(
        self, test_id: str, run: RunInfo, branch: str | None
    ) -> tuple[RunInfo | None, RunInfo | None]:
        """For a test failing since before *run*: (its last passing run, the next run of it).

        Used to name the commit a test broke at when that lies before the analysis window.
        """
        base = (
            f"SELECT {RUN_COLUMNS_SQL} FROM runs "
            "JOIN results ON results.run_id = runs.id JOIN tests ON tests.id = results.test "
            "WHERE tests.test_id = :test AND (runs.started_at < :started "
            "OR (runs.started_at = :started AND runs.id < :pk))"
            + ("" if branch is None else " AND runs.branch = :branch")
        )
        params: dict[str, Any] = {
            "test": test_id,
            "started": run.started_at,
            "pk": run.pk,
            "branch": branch,
        }
        with self._reading() as conn:
            found = conn.rows(
                f"{base} AND results.status = 0 "
                "ORDER BY runs.started_at DESC, runs.id DESC LIMIT 1",
                params,
            )
            passed = _run_info(found[0]) if found else None
            after = f"{base} AND results.status IN (1, 2)"
            if passed is not None:
                after += (
                    " AND (runs.started_at > :p_started "
                    "OR (runs.started_at = :p_started AND runs.id > :p_pk))"
                )
                params.update(p_started=passed.started_at, p_pk=passed.pk)
            first = conn.rows(f"{after} ORDER BY runs.started_at, runs.id LIMIT 1", params)
        return passed, (_run_info(first[0]) if first else None)


class SqliteReader(ReadQueries):
    """The analysis reads of a SQLite store at the current schema, on :mod:`sqlite3` alone
    (no SQLAlchemy): what ``history list``, ``flaky`` and ``slow`` need. The connection is set
    up as the store's engine sets up its own (busy timeout, WAL, cache size)."""

    dialect = "sqlite"

    def __init__(self, path: Path, url: str) -> None:
        self.url = url
        self.safe_url = url  # a SQLite URL has no password
        self._db = sqlite3.connect(
            path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            for pragma in sqlite_pragmas(memory=False):
                self._db.execute(pragma)
        except sqlite3.Error:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, exc: BaseException) -> HistoryError:
        return db_error(self.safe_url, str(exc), str(exc))

    @contextlib.contextmanager
    def _reading(self) -> Iterator[ReadConn]:
        """One read transaction (a consistent snapshot, as the store's ``_read``)."""
        try:
            self._db.execute("BEGIN")
        except sqlite3.OperationalError as exc:
            raise self._fail(exc) from exc
        ok = False
        try:
            yield DriverConn(self._db, "named", (sqlite3.OperationalError,), self._fail)
            ok = True
        finally:
            # some errors (disk full, I/O) have rolled the transaction back already
            if self._db.in_transaction:
                self._db.execute("COMMIT" if ok else "ROLLBACK")

    def schema_revision(self) -> str | None:
        """The schema's alembic revision (None: no schema yet)."""
        try:
            with self._reading() as conn:
                rows = conn.rows("SELECT version_num FROM alembic_version")
        except HistoryError:
            return None
        return str(rows[0][0]) if rows else None


def open_reader(url: str) -> SqliteReader | None:
    """A :class:`SqliteReader` for the normalised *url* when it is a SQLite file at the current
    schema; None otherwise (the caller opens the store with
    :func:`~testgate.history.store.open_store`, which creates or migrates it)."""
    if not url.startswith("sqlite:///") or "?" in url or url == "sqlite:///:memory:":
        return None
    path = Path(url[len("sqlite:///") :])
    if not path.is_file():
        return None
    try:
        reader = SqliteReader(path, url)
    except sqlite3.Error:
        return None  # the store's own opening says what is wrong, as it always did
    if reader.schema_revision() != HEAD_REVISION:
        reader.close()
        return None
    return reader
