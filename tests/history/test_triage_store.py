"""The history keeps each failure's category and fingerprint (revision 0002), on SQLite and on
the real PostgreSQL, so triage can name when a cause was first seen."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from testgate.history import schema as S
from testgate.history.store import open_store
from testgate.model import Run, TestCase, VcsInfo
from testgate.triage import apply


def _run(i: int, *, failing: bool) -> Run:
    run = Run(
        id=f"run-{i:02d}",
        started_at=f"2026-01-01T00:{i:02d}:00+00:00",
        vcs=VcsInfo(f"c{i:039d}", "main"),
    )
    status = "failed" if failing else "passed"
    message = f"ValueError: bad value {i}" if failing else None
    trace = (
        'Traceback (most recent call last):\n  File "app/pricing.py", line 12, in total\n'
        f"    raise ValueError(x)\nValueError: bad value {i}"
        if failing
        else None
    )
    run.tests = [
        TestCase("unit", "tests.test_p", f"test_total[{i}]", status, message=message, trace=trace),
        TestCase("unit", "tests.test_p", "test_ok", "passed"),
    ]
    apply(run)
    run.finalize()
    return run


def test_fingerprints_are_recorded_and_first_seen_is_named(store_url: str) -> None:
    runs = [
        _run(0, failing=False),
        _run(1, failing=True),
        _run(2, failing=True),
        _run(3, failing=True),
    ]
    fp = runs[1].tests[0].fingerprint
    assert fp is not None
    assert fp == runs[3].tests[0].fingerprint  # parameters scrubbed: one cause
    with open_store(store_url) as store:
        for r in runs:
            store.record(r)
        seen = store.first_seen([fp, "0" * 16])
        assert list(seen) == [fp]
        assert seen[fp].id == "run-01"
        assert store.runs_after(seen[fp]) == 2
        green = store.last_green("main", before="run-03")
        assert green is not None
        assert green.id == "run-00"
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(S.results.c.category, S.results.c.fingerprint).where(
                    S.results.c.status == 1
                )
            ).all()
    assert rows == [("exception", fp)] * 3


def test_a_store_at_revision_0001_is_upgraded_with_its_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(S.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO runs (uid, project, started_at, recorded_at, status, interrupted, "
                "tests_total, tests_failed, meta) VALUES ('old-run', '', '2025-01-01', "
                "'2025-01-01', 'passed', 0, 0, 0, '{}')"
            )
        )
    engine.dispose()
    with open_store(url) as store:
        assert store.has_run("old-run")
        store.record(_run(5, failing=True))
        fp = _run(5, failing=True).tests[0].fingerprint
        assert fp is not None
        assert store.first_seen([fp])[fp].id == "run-05"
