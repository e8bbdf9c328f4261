"""The store's read side: one run's parts, series, triage and the dashboard's reads.

A mixin of :class:`~testgate.history.store.HistoryStore`, split out to keep each module to one job.
The analyses' reads (runs, windows, durations) are SQL text in :mod:`testgate.history.reads`,
shared with the plain-sqlite3 reader; here they run on the driver's cursor of the store's
SQLAlchemy connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, and_, func, or_, select, text

from testgate.errors import HistoryError
from testgate.history import schema as S
from testgate.history.reads import DriverConn, ReadConn, ReadQueries, param_names
from testgate.history.rows import (
    RunInfo,
    TestResult,
    _chunks,
    _id_range,
    _iso,
    _run_info,
)
from testgate.model import CiInfo, ReportRef, Run, StepResult, TestCase, VcsInfo

if TYPE_CHECKING:
    from testgate.model import StepStatus, TestStatus
from testgate.verdict import Verdict

__all__ = ["StoreQueries"]

#: the columns :func:`~testgate.history.rows._run_info` reads, in its order
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


def _verdict_of(data: Any) -> Verdict | None:
    """The recorded verdict, typed (None when the run was not gated or the record is old)."""
    if not isinstance(data, dict):
        return None
    try:
        return Verdict.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def _reports_of(data: Any) -> list[ReportRef]:
    """The run's reports as recorded (a performance report keeps its own figures)."""
    out: list[ReportRef] = []
    for d in data if isinstance(data, list) else []:
        try:
            out.append(ReportRef.from_dict(d))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return out


class _TextConn:
    """A :class:`~testgate.history.reads.ReadConn` through SQLAlchemy's ``text()``, for a
    dialect whose driver testgate does not drive itself."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        names = set(param_names(sql))
        used = {k: v for k, v in (params or {}).items() if k in names}
        return [tuple(r) for r in self._conn.execute(text(sql), used)]


class StoreQueries(ReadQueries):
    """Read queries over the tables; needs ``_read()`` and ``dialect`` from the store. The
    analyses' reads are SQL text in :class:`~testgate.history.reads.ReadQueries`."""

    dialect: str

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    def _driver_error(self, exc: BaseException) -> HistoryError:
        raise NotImplementedError

    def _conn(self, conn: Connection) -> ReadConn:
        """The :class:`~testgate.history.reads.ReadConn` of an open SQLAlchemy connection: its
        driver's own cursor (sqlite3, psycopg), where SQLAlchemy's rows would cost more than
        the query on the large windows."""
        raw = conn.connection.driver_connection
        if raw is None or self.dialect not in ("sqlite", "postgresql"):
            return _TextConn(conn)
        # the driver's own errors, which SQLAlchemy does not wrap here, get the store's message
        fail = self._driver_error
        if self.dialect == "sqlite":
            import sqlite3

            return DriverConn(raw, "named", (sqlite3.OperationalError,), fail)
        import psycopg

        return DriverConn(raw, "pyformat", (psycopg.OperationalError,), fail)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[ReadConn]:
        with self._read() as conn:
            yield self._conn(conn)

    def run_metas(self) -> Iterator[dict[str, Any]]:
        """The ``meta`` document of every recorded run, oldest first, and nothing else (the
        dashboard's cumulative Prometheus metrics sum a part of it on every scrape)."""
        q = select(S.runs.c.meta).order_by(S.runs.c.id)
        with self._read() as conn:
            rows = conn.execute(q).scalars().all()
        for meta in rows:
            yield dict(meta or {})

    def count_runs(self) -> int:

        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(S.runs)).scalar_one())

    def has_run(self, run_id: str) -> bool:
        """Whether a run with exactly this id is recorded."""
        with self._read() as conn:
            return (
                conn.execute(select(S.runs.c.id).where(S.runs.c.uid == run_id)).first() is not None
            )

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
            return self._with_metrics(self._conn(conn), [_run_info(rows[0])])[0]

    def run_steps(self, run: RunInfo) -> list[StepResult]:
        q = select(S.steps).where(S.steps.c.run_id == run.pk).order_by(S.steps.c.seq)
        with self._read() as conn:
            return [
                StepResult(
                    stage=r.stage,
                    name=r.name,
                    status=cast("StepStatus", r.status),  # written by record: one of them
                    exit_code=r.exit_code,
                    attempts=r.attempts,
                    duration_s=r.duration_s,
                )
                for r in conn.execute(q)
            ]

    def run_results(
        self,
        run: RunInfo,
        *,
        failures_only: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[TestResult]:
        """The tests of one run (or only its failed and flaky ones), slowest first; with
        *limit*, that many from *offset* on (a page)."""
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
            q = q.where(text("(status IN (1, 2) OR flaky)"))
        q = q.order_by(S.results.c.duration_s.desc(), S.results.c.id)
        if limit is not None:
            q = q.offset(offset).limit(limit)
        with self._read() as conn:
            return [
                TestResult(run, tid, S.STATUS_NAMES.get(st, "failed"), d, a, bool(f), m)
                for tid, st, d, a, f, m in conn.execute(q)
            ]

    def count_results(self, run: RunInfo, *, failures_only: bool = False) -> int:
        """How many results :meth:`run_results` gives for the same arguments, without a page."""
        q = (
            select(func.count())
            .select_from(S.results)
            .where(S.results.c.id.between(*_id_range(run.pk, run.pk)))
        )
        if failures_only:
            q = q.where(text("(status IN (1, 2) OR flaky)"))
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def run_coverage(self, run: RunInfo) -> list[tuple[str, int, int, int, int]]:
        """Per file: (path, covered lines, lines, covered branches, branches) of one run."""
        c = S.coverage_files.c
        q = select(c.path, c.covered_lines, c.total_lines, c.covered_branches, c.total_branches)
        with self._read() as conn:
            return [
                (str(p), int(a), int(b), int(x), int(y))
                for p, a, b, x, y in conn.execute(q.where(c.run_id == run.pk))
            ]

    def last_run(self, ref: str | None = None, *, exclude: str | None = None) -> Run | None:
        """The newest run of *ref* (a branch, a commit or its prefix, or a run id) as a ``Run``,
        other than the run *exclude* (a run is never its own baseline).

        With ``ref=None``, the newest run of all. The ``Run`` carries the metrics, VCS and CI
        facts, steps and tests; line-level coverage is not kept in the store.
        """
        q = select(*_RUN_COLUMNS).order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc()).limit(1)
        if exclude is not None:
            q = q.where(S.runs.c.uid != exclude)
        if ref is not None:
            conds = [S.runs.c.branch == ref, S.runs.c.commit == ref, S.runs.c.uid == ref]
            if len(ref) >= 7 and all(ch in "0123456789abcdefABCDEF" for ch in ref):
                conds.append(S.runs.c.commit.like(ref.lower() + "%"))
            q = q.where(or_(*conds))
        with self._read() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            info = self._with_metrics(self._conn(conn), [_run_info(row)])[0]
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
            verdict=_verdict_of(info.meta.get("verdict")),
            reports=_reports_of(info.meta.get("reports")),
        )
        run.steps = self.run_steps(info)
        results = self.run_results(info)
        dims = self.test_infos([r.test_id for r in results])
        run.tests = []
        for r in results:
            suite, classname, name, file = dims.get(r.test_id, ("", "", r.test_id, None))
            run.tests.append(
                TestCase(
                    suite=suite,
                    classname=classname,
                    name=name,
                    file=file,
                    status=cast("TestStatus", r.status),  # written by record: one of them
                    duration_s=r.duration_s,
                    attempts=r.attempts,
                    flaky=r.flaky,
                    message=r.message,
                    test_id=r.test_id,
                )
            )
        return run

    def previous_run(
        self, run_id: str, branch: str | None, *, skip_outages: bool = False
    ) -> RunInfo | None:
        """The run recorded on *branch* just before run *run_id* (by start time); with
        *skip_outages*, the last one before it that was not an outage."""
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
            q = q.order_by(S.runs.c.started_at.desc(), S.runs.c.id.desc())
            if not skip_outages:
                row = conn.execute(q.limit(1)).first()
                return (
                    None
                    if row is None
                    else self._with_metrics(self._conn(conn), [_run_info(row)])[0]
                )
            from testgate.history.outage import is_outage

            for row in conn.execute(q.limit(200)):
                info = _run_info(row)
                if not is_outage(info.tests_total, info.tests_failed, info.meta):
                    return self._with_metrics(self._conn(conn), [info])[0]
            return None

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

    # ------------------------------------------------------------------ triage

    def first_seen(self, fingerprints: Sequence[str]) -> dict[str, RunInfo]:
        """fingerprint -> the first run recorded with a failure of that fingerprint.

        "First" is the order runs were recorded in; the partial index on fingerprints makes
        this cost the number of matching failures, not the size of the results table.
        """
        r = S.results.c
        firsts: dict[str, int] = {}
        with self._read() as conn:
            for chunk in _chunks(list(dict.fromkeys(fingerprints))):
                q = (
                    select(r.fingerprint, func.min(r.run_id))
                    .where(r.fingerprint.in_(chunk))
                    .group_by(r.fingerprint)
                )
                firsts.update((str(fp), int(pk)) for fp, pk in conn.execute(q))
            infos: dict[int, RunInfo] = {}
            for chunk in _chunks(sorted(set(firsts.values()))):
                q2 = select(*_RUN_COLUMNS).where(S.runs.c.id.in_(chunk))
                infos.update((row[0], _run_info(row)) for row in conn.execute(q2))
        return {fp: infos[pk] for fp, pk in firsts.items() if pk in infos}

    def runs_after(self, run: RunInfo, branch: str | None = None) -> int:
        """How many runs were recorded after *run* (on *branch*, or on any branch)."""
        q = select(func.count()).select_from(S.runs).where(S.runs.c.id > run.pk)
        if branch is not None:
            q = q.where(S.runs.c.branch == branch)
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def last_green(self, branch: str | None = None, *, before: str | None = None) -> RunInfo | None:
        """The newest run that passed (on *branch*; recorded before the run id *before*)."""
        q = select(*_RUN_COLUMNS).where(S.runs.c.status == "passed")
        if branch is not None:
            q = q.where(S.runs.c.branch == branch)
        with self._read() as conn:
            if before is not None:
                pk = conn.execute(select(S.runs.c.id).where(S.runs.c.uid == before)).scalar()
                if pk is not None:
                    q = q.where(S.runs.c.id < pk)
            row = conn.execute(q.order_by(S.runs.c.id.desc()).limit(1)).first()
        return None if row is None else _run_info(row)

    # ---- the dashboard's reads -------------------------------------------------------------

    def generation(self) -> tuple[int, int, int]:
        """What changes whenever anything a page shows changes: the number of runs, the newest
        run's key and the total size of the runs' ``meta`` (marks, incidents, verdicts set after
        the fact). The dashboard caches its analyses and ETags under it; one cheap query."""
        from sqlalchemy import Text, cast

        q = select(
            func.count(S.runs.c.id),
            func.coalesce(func.max(S.runs.c.id), 0),
            func.coalesce(func.sum(func.length(cast(S.runs.c.meta, Text))), 0),
        )
        with self._read() as conn:
            n, top, size = conn.execute(q).one()
        return int(n), int(top), int(size)

    def suite_failures(self, runs: Sequence[RunInfo]) -> dict[str, dict[str, tuple[int, int]]]:
        """For each run of *runs* (by id): suite -> (tests that ran, tests failed or errored);
        skipped tests do not count as run."""
        by_pk = {r.pk: r.id for r in runs}
        out: dict[str, dict[str, tuple[int, int]]] = {r.id: {} for r in runs}
        from sqlalchemy import case

        bad_codes = (S.STATUS_CODES["failed"], S.STATUS_CODES["error"])
        failed = func.sum(case((S.results.c.status.in_(bad_codes), 1), else_=0))
        for chunk in _chunks(list(by_pk)):
            q = (
                select(S.results.c.run_id, S.tests.c.suite, func.count(), failed)
                .join(S.tests, S.tests.c.id == S.results.c.test)
                .where(S.results.c.run_id.in_(chunk))
                .where(S.results.c.status != S.STATUS_CODES["skipped"])
                .group_by(S.results.c.run_id, S.tests.c.suite)
            )
            with self._read() as conn:
                for pk, suite, n, bad in conn.execute(q):
                    out[by_pk[pk]][str(suite or "")] = (int(n), int(bad or 0))
        return out

    def runs_of_commit(self, commit: str) -> list[RunInfo]:
        """The runs of *commit* (a full SHA or a prefix of at least 7 characters), oldest first."""
        q = select(*_RUN_COLUMNS)
        if len(commit) >= 40:
            q = q.where(S.runs.c.commit == commit)
        else:
            like = commit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(S.runs.c.commit.like(like, escape="\\"))
        q = q.order_by(S.runs.c.started_at, S.runs.c.id)
        with self._read() as conn:
            return self._with_metrics(self._conn(conn), [_run_info(r) for r in conn.execute(q)])
