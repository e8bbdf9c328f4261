"""The store: round trips, idempotence, one transaction per run, concurrent writers, URLs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from testgate.config.loader import load_config
from testgate.errors import HistoryError
from testgate.history import open_store, resolve_url
from testgate.history.store import HistoryStore, normalize_url
from testgate.model import StepResult

from ._runs import Suite, case, commit_of, make_run, tid


def test_a_recorded_run_reads_back(store_url: str) -> None:
    runs = Suite(runs=3).build()
    runs[2].steps = [StepResult("test", "unit", "failed", exit_code=1, attempts=1, duration_s=2.5)]
    with open_store(store_url) as store:
        for run in runs:
            store.record(run)
        listed = store.runs(limit=10)
        assert [r.id for r in listed] == ["run-main-002", "run-main-001", "run-main-000"]
        latest = store.get_run("latest")
        assert latest is not None
        assert latest.id == "run-main-002"
        with pytest.raises(HistoryError, match="ambiguous"):
            store.get_run("run-main-00")
        one = store.get_run("run-main-001")
        assert one is not None
        assert one.commit == commit_of(1)
        assert one.branch == "main"
        assert one.tests_total == 40
        assert one.metrics["tests.total"] == 40
        assert one.metrics["coverage.line"] == runs[1].metrics["coverage.line"]
        base = store.last_run("main")
        assert base is not None
        assert base.id == "run-main-002"
        assert base.metrics == runs[2].metrics
        assert len(base.tests) == 40
        assert base.steps[0].name == "unit"
        by_commit = store.last_run(commit_of(1)[:10])
        assert by_commit is not None
        assert by_commit.id == "run-main-001"
        assert store.last_run("no-such-branch") is None
        series = store.metric_series("tests.total", "main")
        assert [r.id for r, _ in series] == ["run-main-000", "run-main-001", "run-main-002"]
        hist = store.test_history(tid("test_ok_00"), limit=2)
        assert [h.run.id for h in hist] == ["run-main-002", "run-main-001"]
        assert hist[0].status == "passed"
        cov = {p: (c, t) for p, c, t, _, _ in store.run_coverage(one)}
        assert cov["src/auth/login.py"] == (30, 60)
        prev = store.previous_run("run-main-002", "main")
        assert prev is not None
        assert prev.id == "run-main-001"


def test_recording_the_same_run_twice_does_nothing(store_url: str) -> None:
    run = Suite(runs=1).build()[0]
    with open_store(store_url) as store:
        store.record(run)
        store.record(run)
        assert store.count_runs() == 1
        info = store.runs()[0]
        assert len(store.run_results(info, failures_only=False)) == 40


def test_an_in_memory_store_works() -> None:
    with open_store("sqlite://") as store:
        store.record(Suite(runs=1).build()[0])
        assert store.count_runs() == 1


def test_a_test_seen_twice_in_one_run_that_failed_then_passed_is_flaky(sqlite_url: str) -> None:
    run = make_run(0, [case("test_a", "failed"), case("test_a", "passed"), case("test_b")])
    with open_store(sqlite_url) as store:
        store.record(run)
        info = store.runs()[0]
        (row,) = store.run_results(info, failures_only=True)
    assert row.test_id == tid("test_a")
    assert row.status == "passed"
    assert row.flaky


def _state(store: HistoryStore) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from testgate.history import schema as S

    with store.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (S.runs, S.tests, S.results)
        )


def test_an_error_mid_record_leaves_the_store_unchanged(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Suite(runs=2).build()
    second.tests.append(case("test_brand_new"))
    with open_store(store_url) as store:
        store.record(first)
        before = _state(store)

        def explode(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        # the run row, the new test and all results are written; then the metrics fail
        monkeypatch.setattr(HistoryStore, "_insert_metrics", explode)
        with pytest.raises(RuntimeError, match="disk on fire"):
            store.record(second)
        assert _state(store) == before
        monkeypatch.undo()
        store.record(second)
        assert _state(store) == (before[0] + 1, before[1] + 1, before[2] + 41)


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from history._runs import Suite, case
    from testgate.history import open_store
    from testgate.history.store import HistoryStore

    def stall(self, conn, pk, run):
        print("inside", flush=True)  # the run and its results are written, not committed
        time.sleep(120)

    HistoryStore._insert_metrics = stall
    run = Suite(runs=2).build()[1]
    run.tests += [case(f"test_extra_{{i}}") for i in range(2000)]
    with open_store({url!r}) as store:
        store.record(run)
    """
)


def test_a_kill_mid_record_leaves_the_store_unchanged(store_url: str) -> None:
    with open_store(store_url) as store:
        store.record(Suite(runs=1).build()[0])
        before = _state(store)
    tests_dir = str(Path(__file__).parent.parent)
    code = _KILL_SCRIPT.format(tests=tests_dir, url=store_url)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "inside"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with open_store(store_url) as store:
        assert _state(store) == before
        store.record(Suite(runs=2).build()[1])  # and the store still takes writes
        assert store.count_runs() == 2


_WRITER = textwrap.dedent(
    """
    import json, os, sys, time
    sys.path.insert(0, {tests!r})
    from history._runs import case, make_run
    from testgate.history import open_store

    me = int(sys.argv[1])
    while not os.path.exists({go!r}):  # start together
        time.sleep(0.005)
    start = time.time()
    store = open_store({url!r})  # the first ones also race to create the schema
    for k in range(5):
        tests = [
            case(f"test_{{i}}", "failed" if (i + k) % 50 == 0 else "passed") for i in range(400)
        ]
        run = make_run(me * 100 + k, tests, branch=f"b{{me}}")
        store.record(run)
    store.close()
    print(json.dumps({{"start": start, "end": time.time()}}))
    """
)


def test_eight_processes_record_at_once_without_locking_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    go = tmp_path / "go"
    code = _WRITER.format(tests=str(Path(__file__).parent.parent), go=str(go), url=url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    time.sleep(0.5)
    go.touch()
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    spans = [json.loads(out) for out, _ in outs]
    # they really ran at the same time: some writer started before another one finished
    assert any(
        a["start"] < b["end"] and b["start"] < a["end"] for a in spans for b in spans if a is not b
    )
    with open_store(url) as store:
        assert store.count_runs() == 40
        assert len(store.runs(branch="b3", limit=10)) == 5
        assert all(r.tests_total == 400 for r in store.runs(limit=40))


def test_the_schema_is_at_the_scripts_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from testgate.history import schema as S

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(S.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == S.HEAD_REVISION


def test_a_store_from_a_newer_testgate_is_refused(sqlite_url: str) -> None:
    open_store(sqlite_url).close()
    import sqlite3

    db = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(HistoryError, match="upgrade testgate"):
        open_store(sqlite_url)


def test_urls_resolve_in_order_db_env_config_default(tmp_path: Path) -> None:
    cfg = tmp_path / "testgate.yaml"
    cfg.write_text("history:\n  url: data/h.db\n")
    loaded = load_config(cfg)
    assert resolve_url("x.db", loaded, env={"TESTGATE_DB": "postgresql://h/db"}, cwd=tmp_path) == (
        f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert resolve_url(None, loaded, env={"TESTGATE_DB": "postgresql://h/db"}) == (
        "postgresql+psycopg://h/db"
    )
    assert resolve_url(None, loaded, env={}) == f"sqlite:///{tmp_path / 'data' / 'h.db'}"
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "testgate.yaml").write_text("project: x\n")
    assert resolve_url(None, load_config(bare / "testgate.yaml"), env={}) == (
        f"sqlite:///{bare / '.testgate' / 'history.db'}"
    )
    assert normalize_url("postgres://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    with pytest.raises(HistoryError, match="psycopg"):
        normalize_url("postgresql+asyncpg://h/d")


def test_an_unreachable_postgresql_is_one_clear_error() -> None:
    with pytest.raises(HistoryError, match=r"cannot use the history store: connection failed"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(HistoryError):
        open_store(f"sqlite:///{ro / 'sub' / 'h.db'}")


def test_last_run_for_the_gates_baseline(tmp_path: Path) -> None:
    from testgate.history import last_run

    cfg = tmp_path / "testgate.yaml"
    cfg.write_text("project: x\n")
    loaded = load_config(cfg)
    assert last_run(ref="main", config=loaded) is None
    assert not (tmp_path / ".testgate" / "history.db").exists()  # asking creates nothing
    with open_store(resolve_url(None, loaded)) as store:
        for run in Suite(runs=3).build():
            store.record(run)
    base = last_run(ref="main", config=loaded)
    assert base is not None
    assert base.id == "run-main-002"
    assert base.metrics["tests.total"] == 40
    older = last_run(ref=commit_of(0), config=loaded)
    assert older is not None
    assert older.id == "run-main-000"
