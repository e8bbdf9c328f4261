"""The history store: every recorded run, in SQLite (default) or PostgreSQL.

One :class:`HistoryStore` wraps one SQLAlchemy engine. :func:`open_store` runs the shipped
Alembic migrations on open, so a new or old database is always at the current schema.

Two properties matter more than anything else here:

* **A run is recorded in one transaction.** A crash, an exception or a ``kill -9`` half-way
  leaves the store exactly as it was; recording the same run id again is a no-op.
* **Concurrent writers wait, they never fail.** SQLite runs in WAL mode with a long busy
  timeout, and every write transaction starts with ``BEGIN IMMEDIATE`` so that it takes the
  write lock up front (a deferred transaction that reads first and then writes can fail at
  once with "database is locked", whatever the busy timeout says).

Results go in with multi-row INSERTs ``executemany``'d (SQLite) or ``COPY`` (PostgreSQL); the
test-id dimension is filled in bulk too, so recording costs about five microseconds of CPU per
result (`benchmarks/bench_record.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, SQLAlchemyError

from testgate._faults import point as fault_point
from testgate.errors import HistoryError
from testgate.history import schema as S
from testgate.history.engine import DEFAULT_DB_NAME, make_engine, normalize_url, resolve_url
from testgate.history.queries import StoreQueries
from testgate.history.reads import db_error
from testgate.history.rows import (
    ResultsWindow,
    RunInfo,
    TestResult,
    _chunks,
    _first_line,
    _now,
    _utc,
)
from testgate.model import Run, TestCase
from testgate.verdict import Verdict

__all__ = [
    "DEFAULT_DB_NAME",
    "HistoryStore",
    "ResultsWindow",
    "RunInfo",
    "TestResult",
    "normalize_url",
    "open_store",
    "resolve_url",
]

#: bound parameters per INSERT statement on SQLite: the smallest SQLITE_MAX_VARIABLE_NUMBER a
#: build may have (999 before SQLite 3.32), so a multi-row INSERT works on every SQLite
_SQLITE_VARS = 999

# any 64-bit number; the advisory lock that serialises migrations on PostgreSQL
_PG_MIGRATION_LOCK = 0x7E57_6A7E


def _run_status(run: Run, failed: bool | None = None) -> str:
    if run.interrupted:
        return "interrupted"
    if failed is not None:  # decided by testgate.workflow.run_failed (quarantine, allow_failure)
        return "failed" if failed else "passed"
    if any(t.status in ("failed", "error") for t in run.tests) or any(
        s.status in ("failed", "timed_out") for s in run.steps
    ):
        return "failed"
    return "passed"


def _verdict(run: Run) -> str | None:
    v = run.verdict
    if v is None:
        return None
    return "pass (bypassed)" if v.bypassed else v.verdict


def _merge_duplicate(old: TestCase, new: TestCase) -> TestCase:
    """Two results for one test id in one run (retried in another shard, or a rerun)."""
    statuses = {old.status, new.status}
    failed = statuses & {"failed", "error"}
    merged = TestCase(
        suite=old.suite,
        classname=old.classname,
        name=old.name,
        file=old.file or new.file,
        duration_s=old.duration_s + new.duration_s,
        attempts=old.attempts + new.attempts,
        message=old.message or new.message,
        category=old.category or new.category,
        fingerprint=old.fingerprint or new.fingerprint,
    )
    if "passed" in statuses and failed:
        merged.status, merged.flaky = "passed", True  # failed, then passed: flaky here
    elif failed:
        merged.status = "error" if "error" in failed else "failed"
    else:
        merged.status = "passed" if "passed" in statuses else "skipped"
    merged.flaky = merged.flaky or old.flaky or new.flaky
    return merged


class HistoryStore(StoreQueries):
    """Runs recorded in a SQL database; see the module docstring."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DatabaseError as exc:  # locked, gone, or not a database at all
            raise self._db_error(exc) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(testgate_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise self._db_error(exc) from exc

    def _db_error(self, exc: DatabaseError) -> HistoryError:
        return db_error(self.safe_url, str(exc.orig), str(exc))

    def _driver_error(self, exc: BaseException) -> HistoryError:
        """:meth:`_db_error` for an error of the driver's own cursor (the analyses' reads)."""
        return db_error(self.safe_url, str(exc), str(exc))

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def _schema_revision(self) -> str | None:
        """The schema's alembic revision, read directly: importing alembic to read one row
        would cost every history command a tenth of a second."""
        try:
            with self._read() as conn:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except (SQLAlchemyError, HistoryError):
            return None  # no table yet: a new store
        return None if row is None else str(row[0])

    def migrate(self) -> None:
        """Bring the schema to :data:`~testgate.history.schema.HEAD_REVISION` (idempotent)."""
        if self._schema_revision() == S.HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            current = MigrationContext.configure(conn).get_current_revision()
            if current == S.HEAD_REVISION:
                return  # another process migrated while we waited for the lock
            cfg = Config()
            cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, "head")
            except Exception as exc:  # alembic's own errors (an unknown revision) included
                if current is not None:
                    raise HistoryError(
                        f"{self.safe_url}: the history schema is at revision {current!r}, "
                        f"which this testgate does not know (it knows up to "
                        f"{S.HEAD_REVISION!r}); upgrade testgate",
                        slug="history-db",
                    ) from exc
                raise

    # ------------------------------------------------------------------ recording

    def mark_run(self, ref: str, key: str, value: Any) -> RunInfo:
        """Set ``meta[key]`` of the run *ref* (an id, a unique prefix, ``latest``) to *value*
        (``None`` removes it): a mark people put on a run after the fact, such as an outage."""
        info = self.get_run(ref)
        if info is None:
            raise HistoryError(
                f"no run {ref!r} in {self.safe_url}; 'testgate history list' shows the runs",
                slug="history-run",
            )
        meta = dict(info.meta)
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
        with self._write() as conn:
            conn.execute(S.runs.update().where(S.runs.c.id == info.pk).values(meta=meta))
        info.meta = meta
        return info

    def set_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        """Set (add or replace) metrics of the recorded run *run_id*: those known only once
        it is recorded, such as ``history.flaky_rate`` over a window that includes it."""
        info = self.get_run(run_id)
        if info is None or info.id != run_id:
            raise HistoryError(f"no run {run_id!r} in {self.safe_url}", slug="history-run")
        with self._write() as conn:
            conn.execute(
                S.metrics.delete().where(
                    S.metrics.c.run_id == info.pk, S.metrics.c.name.in_(list(metrics))
                )
            )
            self._bulk(conn, S.metrics, [(info.pk, k, float(v)) for k, v in metrics.items()])

    def set_verdict(self, run_id: str, verdict: Verdict) -> RunInfo:
        """Replace the recorded verdict of run *run_id* (``testgate gate --bypass`` records its
        exception, with reason, user and time, on the run it was granted for)."""
        info = self.get_run(run_id)
        if info is None or info.id != run_id:
            raise HistoryError(f"no run {run_id!r} in {self.safe_url}", slug="history-run")
        meta = dict(info.meta)
        meta["verdict"] = verdict.to_dict()
        if verdict.bypass:
            meta["bypass"] = verdict.bypass
        word = "pass (bypassed)" if verdict.bypassed else verdict.verdict
        with self._write() as conn:
            conn.execute(
                S.runs.update().where(S.runs.c.id == info.pk).values(meta=meta, verdict=word)
            )
        info.meta = meta
        info.verdict = word
        return info

    def record(self, run: Run, *, run_failed: bool | None = None) -> None:
        """Record *run* in one transaction; recording a run id already stored does nothing.

        *run_failed* is the run's outcome as :func:`testgate.workflow.run_failed` decides it
        (quarantined tests and ``allow_failure`` steps do not fail a run); without it, any
        failed test or step makes the stored status ``failed``.
        """
        uid = run.id
        if not uid:
            raise HistoryError("a run without an id cannot be recorded", slug="history-record")
        merged: dict[str, TestCase] = {}
        for tc in run.tests:
            key = tc.id
            old = merged.get(key)
            merged[key] = tc if old is None else _merge_duplicate(old, tc)
        started = _utc(run.started_at) or _utc(run.finished_at) or _now()
        finished = _utc(run.finished_at)
        duration = run.metrics.get("pipeline.duration_s")
        if duration is None and finished is not None:
            duration = (finished - started).total_seconds()
        failed = sum(1 for t in merged.values() if t.status in ("failed", "error"))
        meta: dict[str, Any] = {
            "ci": run.ci.to_dict(),
            "reports": [r.to_dict() for r in run.reports],
        }
        if run.verdict is not None:
            meta["verdict"] = run.verdict.to_dict()
            if run.verdict.bypass:
                meta["bypass"] = run.verdict.bypass
        if run.quarantine:
            # which failures were quarantined (owner, reason, expiry), for the dashboard; the
            # matched ids of the failing tests only: a glob entry may match thousands
            failing = {t.id for t in run.tests if t.status in ("failed", "error")}
            meta["quarantine"] = [
                {**q, "tests": [tid for tid in q.get("tests") or () if tid in failing]}
                for q in run.quarantine
            ]
        retried = [
            {"step": f"{s.stage}/{s.name}", "retried_on": s.retried_on}
            for s in run.steps
            if s.retried_on
        ]
        if retried:
            # steps re-run by retry_on (infrastructure noise): counted here, never as flaky tests
            meta["retried"] = retried
        # the run's share of the cumulative Prometheus metrics served at /metrics
        from testgate.history.prom import aggregate_run

        meta["prom"] = aggregate_run(run).to_dict()
        run_row = {
            "uid": uid[:200],
            "project": run.project or "",
            "branch": run.vcs.branch,
            "commit": run.vcs.commit,
            "base_ref": run.vcs.base_ref,
            "started_at": started,
            "finished_at": finished,
            "recorded_at": _now(),
            "duration_s": duration,
            "status": _run_status(run, run_failed),
            "verdict": _verdict(run),
            "interrupted": bool(run.interrupted),
            "tests_total": len(merged),
            "tests_failed": failed,
            "meta": meta,
        }
        try:
            with self._write() as conn:
                if conn.execute(select(S.runs.c.id).where(S.runs.c.uid == uid)).first():
                    return  # idempotent: this run is already recorded
                inserted = conn.execute(S.runs.insert().values(**run_row)).inserted_primary_key
                assert inserted is not None
                pk = int(inserted[0])
                fault_point("record")
                ids = self._test_ids(conn, merged)
                self._insert_results(conn, pk, merged, ids)
                self._insert_metrics(conn, pk, run)
        except IntegrityError:
            # another process recorded the same run id between our check and our insert
            if not self.has_run(uid):
                raise
        except SQLAlchemyError as exc:
            if isinstance(exc, OperationalError):
                raise self._db_error(exc) from exc
            raise

    def _lookup_ids(self, conn: Connection, keys: Sequence[str]) -> dict[str, int]:
        """test id -> integer key for the *keys* already in the dimension."""
        ids: dict[str, int] = {}
        raw = conn.connection.driver_connection
        mark = "?" if self.dialect == "sqlite" else "%s"
        if raw is None or self.dialect not in ("sqlite", "postgresql"):
            for chunk in _chunks(keys):
                q = select(S.tests.c.test_id, S.tests.c.id).where(S.tests.c.test_id.in_(chunk))
                ids.update((k, v) for k, v in conn.execute(q))
            return ids
        # the driver's own cursor: fetching tens of thousands of pairs through Result rows
        # costs more than the whole insert of the results
        cur = raw.cursor()
        try:
            if self.dialect == "postgresql":  # one array parameter instead of thousands
                cur.execute("SELECT test_id, id FROM tests WHERE test_id = ANY(%s)", (list(keys),))
                ids.update(cur.fetchall())
                return ids
            for chunk in _chunks(keys):
                marks = ", ".join([mark] * len(chunk))
                sql = f"SELECT test_id, id FROM tests WHERE test_id IN ({marks})"
                cur.execute(sql, tuple(chunk))
                ids.update(cur.fetchall())
        finally:
            cur.close()
        return ids

    def _test_ids(self, conn: Connection, dims: dict[str, TestCase]) -> dict[str, int]:
        """Map every test id of the run to its integer key, adding the new ones in bulk."""
        keys = list(dims)
        ids = self._lookup_ids(conn, keys)
        missing = [k for k in keys if k not in ids]
        if missing:
            rows = [
                {
                    "test_id": k,
                    "suite": dims[k].suite or "",
                    "classname": dims[k].classname or "",
                    "name": dims[k].name,
                    "file": dims[k].file,
                }
                for k in missing
            ]
            if self.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                ins: Any = pg_insert(S.tests).on_conflict_do_nothing(index_elements=["test_id"])
            elif self.dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                ins = sqlite_insert(S.tests).on_conflict_do_nothing(index_elements=["test_id"])
            else:
                ins = S.tests.insert()
            conn.execute(ins, rows)
            ids.update(self._lookup_ids(conn, missing))
        return ids

    def _insert_results(
        self, conn: Connection, pk: int, cases: dict[str, TestCase], ids: dict[str, int]
    ) -> None:
        codes = S.STATUS_CODES
        base = pk << S.RESULT_ID_BITS
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for i, (key, tc) in enumerate(cases.items()):
            status = tc.status
            attempts = tc.attempts
            # a passed or skipped result keeps no message, category or fingerprint
            bad = status == "failed" or status == "error"
            append(
                (
                    base + i,
                    pk,
                    ids[key],
                    codes.get(status, 1),
                    float(tc.duration_s),
                    attempts
                    if type(attempts) is int and 0 <= attempts <= 32767
                    else min(max(int(attempts), 0), 32767),
                    bool(tc.flaky or (attempts > 1 and status == "passed")),
                    _first_line(tc.message) if bad else None,
                    (tc.category or None) if bad else None,
                    (tc.fingerprint or None) if bad else None,
                )
            )
        self._bulk(conn, S.results, rows)

    def _insert_metrics(self, conn: Connection, pk: int, run: Run) -> None:
        self._bulk(conn, S.metrics, [(pk, k, float(v)) for k, v in run.metrics.items()])
        self._bulk(
            conn,
            S.steps,
            [
                (pk, i, s.stage or "", s.name, s.status, s.exit_code, s.attempts, s.duration_s)
                for i, s in enumerate(run.steps)
            ],
        )
        self._bulk(
            conn,
            S.coverage_files,
            [
                (
                    pk,
                    fc.path,
                    fc.covered_lines,
                    fc.total_lines,
                    fc.covered_branches,
                    fc.total_branches,
                )
                for fc in run.coverage.files.values()
            ],
        )

    def _bulk(self, conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Insert positional rows (in column order) as fast as the driver allows."""
        if not rows:
            return
        cols = [c.name for c in table.columns]
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in cols)
        if self.dialect == "sqlite":
            # multi-row VALUES, executemany'd by the driver with flat parameter tuples: one
            # sqlite3_step per _SQLITE_VARS parameters instead of one per row costs a quarter
            # less than a row-per-statement executemany (10,000 results: 25 ms instead of 34)
            head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
            one = f"({', '.join('?' * len(cols))})"
            per = max(1, _SQLITE_VARS // len(cols))
            full = len(rows) - len(rows) % per
            if full:
                flat = chain.from_iterable
                params = [tuple(flat(rows[i : i + per])) for i in range(0, full, per)]
                conn.exec_driver_sql(head + ", ".join([one] * per), params)
            if full < len(rows):
                rest = rows[full:]
                conn.exec_driver_sql(
                    head + ", ".join([one] * len(rest)), tuple(chain.from_iterable(rest))
                )
        elif self.dialect == "postgresql":
            raw = conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as cp,
            ):
                for r in rows:
                    cp.write_row(r)
        else:
            conn.execute(table.insert(), [dict(zip(cols, r, strict=False)) for r in rows])


def open_store(url: str, *, pool_size: int | None = None) -> HistoryStore:
    """Open (and migrate) the store at *url*: ``sqlite:///path``, ``sqlite://`` or PostgreSQL;
    *pool_size* connections at most (default: SQLAlchemy's pool)."""
    url = normalize_url(url)
    try:
        engine = make_engine(url, pool_size=pool_size)
    except ImportError as exc:
        raise HistoryError(
            f"{url.split('://', 1)[0]}: database driver missing ({exc})", slug="history-url"
        ) from exc
    except SQLAlchemyError as exc:  # a malformed URL
        raise HistoryError(
            f"cannot open the history store {url!r}: {exc}", slug="history-url"
        ) from exc
    store = HistoryStore(engine, url)
    try:
        store.migrate()
    except DatabaseError as exc:  # locked, unreadable, or a file that is not a database
        store.close()
        raise store._db_error(exc) from exc
    except HistoryError:
        store.close()
        raise
    return store
