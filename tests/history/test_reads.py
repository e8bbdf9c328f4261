"""The plain-sqlite3 reader answers exactly as the SQLAlchemy store does, on the same store.

``history list``, ``flaky`` and ``slow`` read a SQLite store at the current schema through
:class:`~testgate.history.reads.SqliteReader` (no SQLAlchemy); every other reader goes through
:class:`~testgate.history.store.HistoryStore`. Both run the same SQL text; these tests hold them
to the same answers on a store with branches, outages (detected and marked), partial outages,
skipped tests, tests added and removed, and runs recorded out of time order.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.errors import HistoryError
from testgate.history.flaky import FlakyParams, find_flaky, flaky_rate
from testgate.history.reads import SqliteReader, open_reader
from testgate.history.rows import ResultsWindow
from testgate.history.slow import SlowParams, _timing, analyze, analyze_series, find_slow
from testgate.history.store import HistoryStore, open_store
from testgate.model import Run
from testgate.triage import apply

from ._runs import BROKEN, FLAKY, HEALTHY, Suite, case, make_run, tid


def _history() -> list[Run]:
    runs = Suite(runs=30, outages={11}, slow_from=22).build()
    for i, run in enumerate(runs):
        if i % 7 == 3:  # a skipped test now and then: runs do not all hold the same tests
            run.tests[4].status = "skipped"
        if i >= 25:  # a test added late, one removed
            run.tests.append(case("test_new_feature", duration=0.02 + 0.001 * i))
            run.tests = [t for t in run.tests if t.name != HEALTHY[7]]
        if i == 17:  # a partial outage: six tests failing with one cause
            for t in run.tests[10:16]:
                t.status, t.message = "error", "ConnectionRefusedError: [Errno 111] db:5432"
                t.trace = "ConnectionRefusedError: [Errno 111] db:5432"
            apply(run)
    feature = [
        make_run(i, [case(n, "failed" if n == FLAKY[0] and i % 2 else "passed") for n in HEALTHY])
        for i in range(6)
    ]
    for i, run in enumerate(feature):
        run.id = f"run-feature-{i:03d}"
        run.vcs.branch = "feature"
    # recorded out of time order: a run's key does not follow its start time
    late = make_run(40, [case(n) for n in HEALTHY[:5]], branch="main")
    late.started_at = "2026-03-01T09:00:00+00:00"
    return [*runs, *feature, late]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reads") / "history.db"
    with open_store(f"sqlite:///{path}") as store:
        for run in _history():
            store.record(run)
        store.mark_run("run-main-005", "outage", {"reason": "runner out of disk"})
    return path


@pytest.fixture
def both(db: Path) -> Iterator[tuple[SqliteReader, HistoryStore]]:
    url = f"sqlite:///{db}"
    reader = open_reader(url)
    assert isinstance(reader, SqliteReader)
    with reader, open_store(url) as store:
        yield reader, store


@pytest.mark.parametrize("branch", ["main", "feature", None])
@pytest.mark.parametrize("window", [2, 7, 50])
def test_the_analyses_give_the_same_reports(
    both: tuple[SqliteReader, HistoryStore], branch: str | None, window: int
) -> None:
    reader, store = both
    fp, sp = FlakyParams(window=window, min_runs=2), SlowParams(window=window, top=100)
    assert find_flaky(reader, fp, branch=branch).to_dict() == (
        find_flaky(store, fp, branch=branch).to_dict()
    )
    assert find_slow(reader, sp, branch=branch).to_dict() == (
        find_slow(store, sp, branch=branch).to_dict()
    )
    a, b = (
        flaky_rate(reader, branch=branch, window=window),
        flaky_rate(store, branch=branch, window=window),
    )
    assert a == b


@pytest.mark.parametrize("branch", ["main", "feature", None, "nowhere"])
def test_the_reads_give_the_same_rows(
    both: tuple[SqliteReader, HistoryStore], branch: str | None
) -> None:
    reader, store = both
    assert reader.branch_counts() == store.branch_counts() == {"main": 31, "feature": 6}
    for limit in (1, 5, 100):
        assert reader.runs(branch, limit) == store.runs(branch, limit)
    runs = reader.window_runs(branch, 20)
    assert runs == store.window_runs(branch, 20)
    kws: list[dict[str, Any]] = [
        {"durations": True, "outcomes": False},
        {"unhealthy_only": True, "exclude_runs": {r.pk for r in runs[:3]}},
        {},
    ]
    for kw in kws:
        mine, theirs = (
            reader.results_window(branch, 20, **kw),
            store.results_window(branch, 20, **kw),
        )
        assert (mine.runs, mine.outcomes, mine.durations) == (
            theirs.runs,
            theirs.outcomes,
            theirs.durations,
        )
        if kw.get("durations"):
            # the same series as the indexed durations, in the same order
            series = reader.duration_series(runs)
            assert list(series) == list(mine.durations)
            assert series == {t: [d for _, d in v] for t, v in mine.durations.items()}
    pks = [r.pk for r in runs]
    assert reader.failure_clusters(pks, 5) == store.failure_clusters(pks, 5)
    assert reader.distinct_tests(runs) == store.distinct_tests(runs)
    ids = [tid(n) for n in (*HEALTHY[:3], BROKEN, "test_new_feature", "test_missing")]
    assert reader.test_infos(ids) == store.test_infos(ids)
    for run in runs[-3:]:
        for test in (tid(BROKEN), tid(FLAKY[0]), tid(HEALTHY[0])):
            assert reader.last_pass_before(test, run, branch) == store.last_pass_before(
                test, run, branch
            )


def test_the_reader_reads_the_outage_mark_and_its_metrics(
    both: tuple[SqliteReader, HistoryStore],
) -> None:
    reader, _ = both
    (marked,) = [r for r in reader.runs("main", 100) if r.id == "run-main-005"]
    assert marked.meta["outage"] == {"reason": "runner out of disk"}
    assert marked.metrics["tests.total"] == 40
    assert marked.started_at.isoformat() == "2026-03-01T10:00:05"
    assert isinstance(marked.interrupted, bool)


def test_only_a_sqlite_file_at_the_current_schema_gets_a_reader(tmp_path: Path, db: Path) -> None:
    assert open_reader(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert open_reader("sqlite://") is None
    assert open_reader("postgresql+psycopg://u@h/db") is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert open_reader(f"sqlite:///{empty}") is None  # no schema: open_store creates it
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert open_reader(f"sqlite:///{junk}") is None  # open_store says what is wrong
    old = tmp_path / "old.db"
    old.write_bytes(db.read_bytes())
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    assert open_reader(f"sqlite:///{old}") is None  # must be migrated first


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_migrate_an_older_store_and_refuse_a_newer_one(
    tmp_path: Path, db: Path
) -> None:
    """A store at an older schema revision is still migrated by the read-only commands (the
    reader steps aside), and one from a newer testgate is still refused with its message."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from testgate.history import schema as S

    old = tmp_path / "old.db"
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(S.__file__).parent / "migrations"))
    with sa.create_engine(f"sqlite:///{old}").begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    proc = _cli("history", "list", "--db", str(old), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no runs recorded yet\n"
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]
    newer = tmp_path / "newer.db"
    newer.write_bytes(db.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    proc = _cli("flaky", "--db", str(newer), cwd=tmp_path)
    assert proc.returncode == 2
    assert "upgrade testgate" in proc.stderr


def test_a_store_that_cannot_be_read_is_one_message(tmp_path: Path, db: Path) -> None:
    """The driver's error becomes the store's one message (no traceback), naming the store, on
    the reader and on the SQLAlchemy store alike (both read through the driver's cursor)."""
    copy = tmp_path / "broken.db"
    copy.write_bytes(db.read_bytes())
    url = f"sqlite:///{copy}"
    reader = open_reader(url)
    assert reader is not None
    with reader, open_store(url) as store:
        with sqlite3.connect(copy) as other:
            other.execute("DROP TABLE metrics")
        for which in (reader, store):
            with pytest.raises(HistoryError) as err:
                which.runs()
            assert str(err.value) == f"{url}: cannot use the history store: no such table: metrics"
            assert which.branch_counts() == {"main": 31, "feature": 6}  # the transaction ended


@pytest.mark.parametrize(
    "argv", [["history", "list", "--json"], ["flaky", "--json"], ["slow", "--json"]]
)
def test_the_commands_answer_as_the_store_does(argv: list[str], db: Path, tmp_path: Path) -> None:
    """The CLI on the reader prints what the store's own analyses give."""
    proc = _cli(*argv, "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    with open_store(f"sqlite:///{db}") as store:
        if argv[0] == "history":
            want = {"runs": [r.to_dict() for r in store.runs(None, 20)]}
        elif argv[0] == "flaky":
            want = find_flaky(store, FlakyParams(), branch="main").to_dict()
        else:
            want = find_slow(store, SlowParams(), branch="main").to_dict()
    assert got == json.loads(json.dumps(want))


def _full_analysis(
    series: dict[str, list[float]], params: SlowParams
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """The analysis as it was before any shortcut: every test's timing, sorted and filtered."""
    timings = [_timing(t, v, params) for t, v in series.items()]
    grand = 0.0
    for t in timings:
        grand += t.total_s
    for t in timings:
        t.share = t.total_s / grand if grand else 0.0
    top = sorted(timings, key=lambda t: (-t.total_s, t.test))[: params.top]
    rising = sorted(
        (
            t
            for t in timings
            if t.ratio is not None
            and t.recent_p50_s is not None
            and t.earlier_p50_s is not None
            and t.ratio > params.factor
            and t.recent_p50_s - t.earlier_p50_s >= params.min_delta_s
        ),
        key=lambda t: (-(t.ratio or 0.0), t.test),
    )
    return [t.to_dict() for t in top], [t.to_dict() for t in rising], grand


_durations = st.one_of(
    st.floats(0, 0.2),
    st.sampled_from([0.0, 0.05, 0.1, 0.15, 1e-300, 0.3]),
    st.floats(0, 5, allow_subnormal=True),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3), st.lists(_durations, min_size=1, max_size=30)
    ),
    st.integers(1, 8),
    st.sampled_from([1.01, 1.2, 1.5, 3.0]),
    st.sampled_from([0.0, 0.01, 0.05]),
    st.integers(1, 12),
)
def test_the_slow_shortcut_reports_what_the_full_analysis_reports(
    series: dict[str, list[float]], top: int, factor: float, min_delta: float, min_runs: int
) -> None:
    """Percentiles and medians are computed only for the tests shown; the report is the same."""
    params = SlowParams(top=top, factor=factor, min_delta_s=min_delta, min_runs=max(min_runs, 4))
    report = analyze_series(series, 0, params)
    want_top, want_rising, grand = _full_analysis(series, params)
    assert [t.to_dict() for t in report.top] == want_top
    assert [t.to_dict() for t in report.rising] == want_rising
    assert report.total_s == grand
    assert report.tests_analysed == len(series)
    window = ResultsWindow(runs=[], durations={t: list(enumerate(v)) for t, v in series.items()})
    assert analyze(window, params).to_dict() == report.to_dict()
