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

Results go in with one prepared ``executemany`` (SQLite) or ``COPY`` (PostgreSQL); the
test-id dimension is filled in bulk too, so recording costs about a microsecond per result.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, and_, create_engine, event, or_, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from testgate.errors import HistoryError
from testgate.history import schema as S
from testgate.model import CiInfo, Run, StepResult, TestCase, VcsInfo

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig

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

DEFAULT_DB_NAME = "history.db"
#: seconds a SQLite writer waits for the lock before giving up (eight writers queue easily)
SQLITE_BUSY_TIMEOUT_S = 120.0
#: how many values go into one ``IN (...)`` (well below SQLite's variable limit)
_CHUNK = 900
_MAX_MESSAGE = 500
# any 64-bit number; the advisory lock that serialises migrations on PostgreSQL
_PG_MIGRATION_LOCK = 0x7E57_6A7E


def _utc(value: str | None) -> datetime | None:
    """A naive UTC datetime from an ISO 8601 string (``Z`` accepted), or None."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.replace(tzinfo=timezone.utc).isoformat()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _id_range(first_pk: int, last_pk: int) -> tuple[int, int]:
    """The ``results.id`` range holding the results of runs *first_pk* .. *last_pk*."""
    return first_pk << S.RESULT_ID_BITS, ((last_pk + 1) << S.RESULT_ID_BITS) - 1


def _first_line(message: str | None) -> str | None:
    if not message:
        return None
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line[:_MAX_MESSAGE] or None


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


@dataclass(slots=True)
class RunInfo:
    """One recorded run, as the store keeps it (the test results stay in the store)."""

    pk: int
    id: str
    project: str
    branch: str | None
    commit: str | None
    base_ref: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    status: str
    verdict: str | None
    interrupted: bool
    tests_total: int
    tests_failed: int
    meta: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "branch": self.branch,
            "commit": self.commit,
            "base_ref": self.base_ref,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_s": self.duration_s,
            "status": self.status,
            "verdict": self.verdict,
            "interrupted": self.interrupted,
            "tests_total": self.tests_total,
            "tests_failed": self.tests_failed,
            "ci": self.meta.get("ci") or {},
            "metrics": dict(sorted(self.metrics.items())),
        }


@dataclass(slots=True)
class TestResult:
    """One test's outcome in one recorded run."""

    __test__ = False

    run: RunInfo
    test_id: str
    status: str
    duration_s: float
    attempts: int
    flaky: bool
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.id,
            "commit": self.run.commit,
            "branch": self.run.branch,
            "started_at": _iso(self.run.started_at),
            "test": self.test_id,
            "status": self.status,
            "duration_s": self.duration_s,
            "attempts": self.attempts,
            "flaky": self.flaky,
            "message": self.message,
        }


@dataclass(slots=True)
class ResultsWindow:
    """The results of the last runs, for the flaky and slow analyses (pure data, no I/O).

    ``runs`` is oldest first. ``outcomes`` maps a test id to ``(run index, status code,
    flaky, attempts)`` tuples in run order; ``durations`` maps a test id to
    ``(run index, seconds)`` tuples in run order. Each holds only what was asked for.
    """

    runs: list[RunInfo]
    outcomes: dict[str, list[tuple[int, int, bool, int]]] = field(default_factory=dict)
    durations: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


_RUN_COLUMNS = (
    S.runs.c.id,
    S.runs.c.uid,
    S.runs.c.project,
    S.runs.c.branch,
    S.runs.c.commit,
    S.runs.c.base_ref,
    S.runs.c.started_at,
    S.runs.c.finished_at,
    S.runs.c.duration_s,
    S.runs.c.status,
    S.runs.c.verdict,
    S.runs.c.interrupted,
    S.runs.c.tests_total,
    S.runs.c.tests_failed,
    S.runs.c.meta,
)


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        pk=row[0],
        id=row[1],
        project=row[2],
        branch=row[3],
        commit=row[4],
        base_ref=row[5],
        started_at=row[6],
        finished_at=row[7],
        duration_s=row[8],
        status=row[9],
        verdict=row[10],
        interrupted=bool(row[11]),
        tests_total=row[12],
        tests_failed=row[13],
        meta=dict(row[14] or {}),
    )


def _run_status(run: Run) -> str:
    if run.interrupted:
        return "interrupted"
    if any(t.status in ("failed", "error") for t in run.tests) or any(
        s.status in ("failed", "timed_out") for s in run.steps
    ):
        return "failed"
    return "passed"


def _verdict(run: Run) -> str | None:
    v = run.verdict
    if not isinstance(v, dict):
        return None
    for key in ("status", "verdict", "outcome", "result"):
        if isinstance(v.get(key), str):
            return str(v[key])[:32]
    return None


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
    )
    if "passed" in statuses and failed:
        merged.status, merged.flaky = "passed", True  # failed, then passed: flaky here
    elif failed:
        merged.status = "error" if "error" in failed else "failed"
    else:
        merged.status = "passed" if "passed" in statuses else "skipped"
    merged.flaky = merged.flaky or old.flaky or new.flaky
    return merged


class HistoryStore:
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
        except OperationalError as exc:
            raise HistoryError(f"{self.safe_url}: {exc.orig}", slug="history-db") from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(testgate_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise HistoryError(f"{self.safe_url}: {exc.orig}", slug="history-db") from exc

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Bring the schema to :data:`~testgate.history.schema.HEAD_REVISION` (idempotent)."""
        from alembic.runtime.migration import MigrationContext

        with self._read() as conn:
            if MigrationContext.configure(conn).get_current_revision() == S.HEAD_REVISION:
                return
        from alembic import command
        from alembic.config import Config

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

    def record(self, run: Run) -> None:
        """Record *run* in one transaction; recording a run id already stored does nothing."""
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
            meta["verdict"] = run.verdict
        # the run's share of the cumulative Prometheus metrics served at /metrics
        from testgate.server.prom import aggregate_run

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
            "status": _run_status(run),
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
                ids = self._test_ids(conn, merged)
                self._insert_results(conn, pk, merged, ids)
                self._insert_metrics(conn, pk, run)
        except IntegrityError:
            # another process recorded the same run id between our check and our insert
            if self.get_run(uid) is None:
                raise
        except SQLAlchemyError as exc:
            if isinstance(exc, OperationalError):
                raise HistoryError(f"{self.safe_url}: {exc.orig}", slug="history-db") from exc
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
        rows = [
            (
                base + i,
                pk,
                ids[key],
                codes.get(tc.status, 1),
                float(tc.duration_s),
                min(max(int(tc.attempts), 0), 32767),
                bool(tc.flaky or (tc.attempts > 1 and tc.status == "passed")),
                _first_line(tc.message) if tc.status in ("failed", "error") else None,
            )
            for i, (key, tc) in enumerate(cases.items())
        ]
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
            # one prepared statement, executemany'd by the driver with plain tuples
            sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(cols))})"
            conn.exec_driver_sql(sql, rows)
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

    # ------------------------------------------------------------------ reading runs

    def _with_metrics(self, conn: Connection, infos: list[RunInfo]) -> list[RunInfo]:
        by_pk = {r.pk: r for r in infos}
        for chunk in _chunks(list(by_pk)):
            q = select(S.metrics.c.run_id, S.metrics.c.name, S.metrics.c.value).where(
                S.metrics.c.run_id.in_(chunk)
            )
            for pk, name, value in conn.execute(q):
                by_pk[pk].metrics[name] = value
        return infos

    def runs(self, branch: str | None = None, limit: int = 20) -> list[RunInfo]:
        """The last *limit* runs (on *branch*, or on every branch), newest first, with metrics."""
        q = select(*_RUN_COLUMNS)
        if branch is not None:
            q = q.where(S.runs.c.branch == branch)
        q = q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(limit)
        with self._read() as conn:
            return self._with_metrics(conn, [_run_info(r) for r in conn.execute(q)])

    def count_runs(self) -> int:
        from sqlalchemy import func

        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(S.runs)).scalar_one())

    def get_run(self, ref: str) -> RunInfo | None:
        """A run by id, by a unique prefix of its id, or ``latest``; with its metrics."""
        q = select(*_RUN_COLUMNS)
        with self._read() as conn:
            if ref == "latest":
                rows = list(
                    conn.execute(
                        q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(1)
                    )
                )
            else:
                rows = list(conn.execute(q.where(S.runs.c.uid == ref)))
                if not rows:
                    like = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    rows = list(
                        conn.execute(q.where(S.runs.c.uid.like(like, escape="\\")).limit(2))
                    )
                    if len(rows) > 1:
                        raise HistoryError(
                            f"run {ref!r} is ambiguous: it starts more than one run id; "
                            "give more characters",
                            slug="history-run",
                        )
            if not rows:
                return None
            return self._with_metrics(conn, [_run_info(rows[0])])[0]

    def run_steps(self, run: RunInfo) -> list[StepResult]:
        q = select(S.steps).where(S.steps.c.run_id == run.pk).order_by(S.steps.c.seq)
        with self._read() as conn:
            return [
                StepResult(
                    stage=r.stage,
                    name=r.name,
                    status=r.status,
                    exit_code=r.exit_code,
                    attempts=r.attempts,
                    duration_s=r.duration_s,
                )
                for r in conn.execute(q)
            ]

    def run_results(self, run: RunInfo, *, failures_only: bool = False) -> list[TestResult]:
        """The tests of one run (or only its failed and flaky ones), slowest first."""
        q = (
            select(
                S.tests.c.test_id,
                S.results.c.status,
                S.results.c.duration_s,
                S.results.c.attempts,
                S.results.c.flaky,
                S.results.c.message,
            )
            .join(S.tests, S.tests.c.id == S.results.c.test)
            .where(S.results.c.id.between(*_id_range(run.pk, run.pk)))
        )
        if failures_only:
            q = q.where(text("status IN (1, 2) OR flaky"))
        q = q.order_by(S.results.c.duration_s.desc())
        with self._read() as conn:
            return [
                TestResult(run, tid, S.STATUS_NAMES.get(st, "failed"), d, a, bool(f), m)
                for tid, st, d, a, f, m in conn.execute(q)
            ]

    def run_coverage(self, run: RunInfo) -> list[tuple[str, int, int, int, int]]:
        """Per file: (path, covered lines, lines, covered branches, branches) of one run."""
        c = S.coverage_files.c
        q = select(c.path, c.covered_lines, c.total_lines, c.covered_branches, c.total_branches)
        with self._read() as conn:
            return [
                (str(p), int(a), int(b), int(x), int(y))
                for p, a, b, x, y in conn.execute(q.where(c.run_id == run.pk))
            ]

    def last_run(self, ref: str | None = None) -> Run | None:
        """The newest run of *ref* (a branch, a commit or its prefix, or a run id) as a ``Run``.

        With ``ref=None``, the newest run of all. The ``Run`` carries the metrics, VCS and CI
        facts, steps and tests; line-level coverage is not kept in the store.
        """
        q = select(*_RUN_COLUMNS).order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(1)
        if ref is not None:
            conds = [S.runs.c.branch == ref, S.runs.c.commit == ref, S.runs.c.uid == ref]
            if len(ref) >= 7 and all(ch in "0123456789abcdefABCDEF" for ch in ref):
                conds.append(S.runs.c.commit.like(ref.lower() + "%"))
            q = q.where(or_(*conds))
        with self._read() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            info = self._with_metrics(conn, [_run_info(row)])[0]
        ci = info.meta.get("ci") or {}
        run = Run(
            id=info.id,
            project=info.project,
            started_at=_iso(info.started_at),
            finished_at=_iso(info.finished_at),
            vcs=VcsInfo(info.commit, info.branch, info.base_ref),
            ci=CiInfo(
                ci.get("provider"), ci.get("job"), ci.get("shard_index"), ci.get("shard_total")
            ),
            metrics=dict(info.metrics),
            interrupted=info.interrupted,
            verdict=info.meta.get("verdict"),
        )
        run.steps = self.run_steps(info)
        run.tests = [
            TestCase(
                suite="",
                classname="",
                name=r.test_id,
                status=r.status,
                duration_s=r.duration_s,
                attempts=r.attempts,
                flaky=r.flaky,
                message=r.message,
                test_id=r.test_id,
            )
            for r in self.run_results(info)
        ]
        return run

    def previous_run(self, run_id: str, branch: str | None) -> RunInfo | None:
        """The run recorded on *branch* just before run *run_id* (by start time)."""
        with self._read() as conn:
            me = conn.execute(
                select(S.runs.c.id, S.runs.c.started_at).where(S.runs.c.uid == run_id)
            ).first()
            q = select(*_RUN_COLUMNS).where(
                S.runs.c.branch.is_(None) if branch is None else S.runs.c.branch == branch
            )
            if me is not None:
                pk, started = me
                q = q.where(
                    or_(
                        S.runs.c.started_at < started,
                        and_(S.runs.c.started_at == started, S.runs.c.id < pk),
                    )
                )
            row = conn.execute(
                q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(1)
            ).first()
            if row is None:
                return None
            return self._with_metrics(conn, [_run_info(row)])[0]

    # ------------------------------------------------------------------ series and windows

    def test_history(self, test_id: str, limit: int = 50) -> list[TestResult]:
        """One test's last *limit* results, newest first."""
        q = (
            select(
                *_RUN_COLUMNS,
                S.results.c.status,
                S.results.c.duration_s,
                S.results.c.attempts,
                S.results.c.flaky,
                S.results.c.message,
            )
            .join(S.results, S.results.c.run_id == S.runs.c.id)
            .join(S.tests, S.tests.c.id == S.results.c.test)
            .where(S.tests.c.test_id == test_id)
            .order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc())
            .limit(limit)
        )
        n = len(_RUN_COLUMNS)
        with self._read() as conn:
            return [
                TestResult(
                    _run_info(r[:n]),
                    test_id,
                    S.STATUS_NAMES.get(r[n], "failed"),
                    r[n + 1],
                    r[n + 2],
                    bool(r[n + 3]),
                    r[n + 4],
                )
                for r in conn.execute(q)
            ]

    def metric_series(
        self, name: str, branch: str | None = None, limit: int = 50
    ) -> list[tuple[RunInfo, float]]:
        """The metric *name* over the last *limit* runs that have it, oldest first."""
        q = (
            select(*_RUN_COLUMNS, S.metrics.c.value)
            .join(S.metrics, S.metrics.c.run_id == S.runs.c.id)
            .where(S.metrics.c.name == name)
        )
        if branch is not None:
            q = q.where(S.runs.c.branch == branch)
        q = q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(limit)
        n = len(_RUN_COLUMNS)
        with self._read() as conn:
            rows = [(_run_info(r[:n]), float(r[n])) for r in conn.execute(q)]
        rows.reverse()
        return rows

    def window_runs(self, branch: str | None = None, window: int = 50) -> list[RunInfo]:
        """The last *window* runs (on *branch*, or all), oldest first, without metrics."""
        q = select(*_RUN_COLUMNS)
        if branch is not None:
            q = q.where(S.runs.c.branch == branch)
        q = q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(window)
        with self._read() as conn:
            rows = [_run_info(r) for r in conn.execute(q)]
        rows.reverse()
        return rows

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
        r = S.results.c
        with self._read() as conn:
            names: dict[int, str] = {}

            def name_of(keys: Iterable[int]) -> None:
                want = [k for k in keys if k not in names]
                for chunk in _chunks(want):
                    q = select(S.tests.c.id, S.tests.c.test_id).where(S.tests.c.id.in_(chunk))
                    names.update((k, v) for k, v in conn.execute(q))

            lo, hi = _id_range(min(pks), max(pks))
            if outcomes:
                if unhealthy_only:
                    skip = set(exclude_runs)
                    scan = [pk for pk in pks if pk not in skip]
                    cand: set[int] = set()
                    for chunk in _chunks(scan):
                        # the literal predicate matches the partial index ix_results_unhealthy
                        q = (
                            select(r.test)
                            .distinct()
                            .where(r.run_id.in_(chunk))
                            .where(text("status IN (1, 2) OR flaky"))
                        )
                        cand.update(conn.execute(q).scalars())
                    rows: list[Any] = []
                    for tchunk in _chunks(sorted(cand)):
                        q = (
                            select(r.test, r.run_id, r.status, r.flaky, r.attempts)
                            .where(r.test.in_(tchunk))
                            .where(r.run_id.between(min(pks), max(pks)))
                        )
                        rows.extend(conn.execute(q))
                else:
                    rows = self._raw(
                        conn,
                        "SELECT test, run_id, status, flaky, attempts FROM results "
                        "WHERE id BETWEEN {} AND {}",
                        (lo, hi),
                    )
                name_of({row[0] for row in rows})
                acc: dict[str, list[tuple[int, int, bool, int]]] = {}
                for test, run_pk, status, flaky, attempts in rows:
                    i = index.get(run_pk)
                    if i is not None:
                        acc.setdefault(names[test], []).append((i, status, bool(flaky), attempts))
                for seq in acc.values():
                    seq.sort()
                out.outcomes = acc
            if durations:
                dacc: dict[int, list[tuple[int, float]]] = {}
                # one range scan of the table; rows of runs outside the window (other branches)
                # are dropped here, which is cheaper than asking the database to
                rows2 = self._raw(
                    conn,
                    "SELECT test, run_id, duration_s FROM results "
                    "WHERE id BETWEEN {} AND {} AND status <> 3",
                    (lo, hi),
                )
                get = index.get
                for test, run_pk, d in rows2:
                    i = get(run_pk)
                    if i is not None:
                        lst = dacc.get(test)
                        if lst is None:
                            dacc[test] = [(i, d)]
                        else:
                            lst.append((i, d))
                name_of(dacc)
                for seq2 in dacc.values():
                    seq2.sort()
                out.durations = {names[k]: v for k, v in dacc.items()}
        return out

    def _raw(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Run *sql* (``{}`` for each parameter) on the driver's cursor; rows as tuples.

        For the few queries that return hundreds of thousands of rows, where building
        SQLAlchemy rows would cost more than the query.
        """
        raw = conn.connection.driver_connection
        mark = "?" if self.dialect == "sqlite" else "%s"
        sql = sql.format(*([mark] * len(params)))
        if raw is None:
            return list(conn.exec_driver_sql(sql, params))
        cur = raw.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall())
        finally:
            cur.close()

    def test_infos(self, test_ids: Sequence[str]) -> dict[str, tuple[str, str, str, str | None]]:
        """test id -> (suite, class name, name, file) for the tests the store knows."""
        t = S.tests.c
        out: dict[str, tuple[str, str, str, str | None]] = {}
        with self._read() as conn:
            for chunk in _chunks(list(test_ids)):
                q = select(t.test_id, t.suite, t.classname, t.name, t.file).where(
                    t.test_id.in_(chunk)
                )
                for tid, suite, cls, name, file in conn.execute(q):
                    out[tid] = (suite, cls, name, file)
        return out

    def last_pass_before(
        self, test_id: str, run: RunInfo, branch: str | None
    ) -> tuple[RunInfo | None, RunInfo | None]:
        """For a test failing since before *run*: (its last passing run, the next run of it).

        Used to name the commit a test broke at when that lies before the analysis window.
        """
        base = (
            select(*_RUN_COLUMNS)
            .join(S.results, S.results.c.run_id == S.runs.c.id)
            .join(S.tests, S.tests.c.id == S.results.c.test)
            .where(S.tests.c.test_id == test_id)
            .where(
                or_(
                    S.runs.c.started_at < run.started_at,
                    and_(S.runs.c.started_at == run.started_at, S.runs.c.id < run.pk),
                )
            )
        )
        if branch is not None:
            base = base.where(S.runs.c.branch == branch)
        with self._read() as conn:
            passed = conn.execute(
                base.where(S.results.c.status == S.STATUS_CODES["passed"])
                .order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc())
                .limit(1)
            ).first()
            after = base.where(S.results.c.status.in_([1, 2]))
            if passed is not None:
                p = _run_info(passed)
                after = after.where(
                    or_(
                        S.runs.c.started_at > p.started_at,
                        and_(S.runs.c.started_at == p.started_at, S.runs.c.id > p.pk),
                    )
                )
            first = conn.execute(after.order_by(S.runs.c.started_at, S.runs.c.id).limit(1)).first()
        return (
            None if passed is None else _run_info(passed),
            None if first is None else _run_info(first),
        )


def _sqlite_engine(url: str) -> Engine:
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
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # the driver must not open transactions itself: we emit BEGIN (IMMEDIATE) below
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if not memory:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA cache_size = -65536")  # 64 MiB: the results index stays hot
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("testgate_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_store(url: str) -> HistoryStore:
    """Open (and migrate) the store at *url*: ``sqlite:///path``, ``sqlite://`` or PostgreSQL."""
    url = normalize_url(url)
    try:
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True)
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
    except OperationalError as exc:
        store.close()
        raise HistoryError(
            f"{store.safe_url}: cannot open the history store ({exc.orig})", slug="history-db"
        ) from exc
    except HistoryError:
        store.close()
        raise
    return store
