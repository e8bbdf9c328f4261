"""The fault suite (issue 12): ``testgate run`` and ``testgate history record`` killed with
SIGKILL, SIGTERM and SIGINT at every point of a run (planning, a running step, each report
read, the summary half written, latest/ not yet replaced, inside the history transaction), on
SQLite and on PostgreSQL. After each kill:

* the store passes its integrity check and every run in it is fully recorded (or absent);
* every summary.json is complete (or absent), and no temporary file is left after a signal
  that testgate handles;
* SIGINT and SIGTERM end the command with 130, never a traceback; the run, when its summary
  or history record exists, says ``interrupted: true``;
* no step process is left behind, after SIGKILL too (the run's watchdog ends it).

The points are reached through ``testgate._faults`` (the process pauses there and says so in a
file), so no kill depends on timing. The order and the report sizes are drawn from a seed
(``TESTGATE_FAULT_SEED``, printed on failure); scenarios run three at a time.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testgate.model import read_summary

from ._harness import (
    N_REPORTS,
    Killed,
    Scenario,
    alive,
    kill_at,
    leftover_temporaries,
    store_problems,
    summaries_complete,
    write_project,
)

SEED = int(os.environ.get("TESTGATE_FAULT_SEED", "20261204"))
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)
RUN_POINTS = (
    "plan",
    "step",
    *(f"read:{i}" for i in range(1, N_REPORTS + 1)),
    "summary",
    "latest",
    "record",
)
RECORD_POINTS = ("record",)


def scenarios(seed: int) -> list[Scenario]:
    rng = random.Random(seed)
    out = [Scenario("run", p, s, rng.choice((5, 60, 400))) for p in RUN_POINTS for s in SIGNALS]
    out += [
        Scenario("record", p, s, rng.choice((5, 60, 400))) for p in RECORD_POINTS for s in SIGNALS
    ]
    rng.shuffle(out)
    return out


def _summary_for_record(root: Path, tests: int, project: str) -> Path:
    """A summary made in-process from the step's reports (for ``history record``)."""
    import subprocess
    import sys

    from testgate.model import write_summary
    from testgate.workflow import IngestOptions, ingest

    subprocess.run([sys.executable, "step.py", str(tests)], cwd=root, check=True, env={})
    execution = ingest(
        [str(root / "reports" / "junit-*.xml")], IngestOptions(root=root, project=project)
    )
    return write_summary(execution.run, root / "in" / "summary.json")


def check(k: Killed, db: str, project: str) -> list[str]:
    s = k.scenario
    problems: list[str] = []
    if not k.reached:
        return [f"never reached the point (exit {k.code}): {k.err.strip()[-400:]}"]
    handled = s.sig != signal.SIGKILL
    if handled and k.code != 130:
        problems.append(f"exit {k.code}, expected 130: {k.err.strip()[-400:]}")
    if not handled and k.code != -signal.SIGKILL:
        problems.append(f"exit {k.code}, expected death by SIGKILL")
    if "Traceback" in k.err:
        problems.append(f"a traceback: {k.err.strip()[-400:]}")
    state = k.root / ".testgate"
    problems += summaries_complete(state)
    if s.command == "record":
        problems += summaries_complete(k.root / "in")
    if handled:
        problems += [f"temporary file left: {t}" for t in leftover_temporaries(k.root)]
    expect = 0 if s.point == "plan" else N_REPORTS * s.tests
    store, runs = store_problems(db, project, expect)
    problems += store
    if handled and s.command == "run":
        latest = state / "latest" / "summary.json"
        if latest.exists() and not read_summary(latest).interrupted:
            problems.append("the summary says interrupted: false")
        problems += [f"run {uid} recorded as not interrupted" for uid, i in runs if not i]
    if handled and s.command == "record" and runs:
        problems.append(f"recorded although interrupted: {runs}")
    pid_file = k.root / "step.pid"
    if s.command == "run" and pid_file.exists():
        # after SIGKILL the watchdog ends the step once testgate is gone: poll for it (the
        # step itself would stay up to 30 s)
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 20
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if alive(pid):
            problems.append(f"step process {pid} is still alive")
    (k.root / "stop-step").touch()  # release a step that is left, whatever happened
    return problems


def _sweep(tmp_path: Path, db_for: object) -> None:
    assert callable(db_for)
    todo = scenarios(SEED)

    def one(i_s: tuple[int, Scenario]) -> tuple[Scenario, list[str]]:
        i, s = i_s
        root = tmp_path / f"{i:02d}"
        project = f"faults-{uuid.uuid4().hex[:12]}"
        db = db_for(root)
        write_project(root, s.tests, db, project)
        if s.command == "run":
            k = kill_at(s, root, ["run"])
        else:
            summary = _summary_for_record(root, s.tests, project)
            k = kill_at(s, root, ["history", "record", str(summary), "--db", db])
        return s, check(k, db, project)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, enumerate(todo)))
    failed = [f"{s}: {'; '.join(p)}" for s, p in results if p]
    assert len(results) >= 27
    assert not failed, f"seed {SEED}:\n" + "\n".join(failed)


def test_kill_points_sqlite(tmp_path: Path) -> None:
    _sweep(tmp_path, lambda root: f"sqlite:///{root / 'history.db'}")


@pytest.mark.postgres
def test_kill_points_postgres(tmp_path: Path, postgres_url: str) -> None:
    _sweep(tmp_path, lambda root: postgres_url)


@pytest.mark.parametrize("point", ["plan", "summary", "record"])
def test_sigint_is_honoured_when_inherited_as_ignored(tmp_path: Path, point: str) -> None:
    """A shell starts background jobs with SIGINT ignored (CI runners do too); the steps
    always honoured it, and so does every other phase: exit 130, nothing half-written."""
    s = Scenario("run", point, signal.SIGINT, 5)
    project = f"faults-{uuid.uuid4().hex[:12]}"
    db = f"sqlite:///{tmp_path / 'history.db'}"
    write_project(tmp_path, s.tests, db, project)
    k = kill_at(s, tmp_path, ["run"], sigint_ignored=True)
    assert check(k, db, project) == []
