"""Kill ``testgate run`` and ``testgate history record`` at a named point and check what is
left: the fault suite's harness (see ``testgate._faults`` for the points)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from testgate._faults import ENV, MARK_ENV
from testgate.errors import InputError
from testgate.model import read_summary

#: the step: writes N_REPORTS JUnit reports of TESTS tests each and its pid; at the "step" point
#: it stays alive (until the test is over) so that the kill lands while it runs
STEP = r"""
import os, sys, time
n = int(sys.argv[1])
os.makedirs("reports", exist_ok=True)
for r in range(3):
    cases = "".join(
        f'<testcase classname="c{r}" name="t{i}" time="0.001"/>' for i in range(n)
    )
    with open(f"reports/junit-{r}.xml", "w") as fh:
        fh.write(f'<testsuite name="s{r}" tests="{n}">{cases}</testsuite>')
with open("step.pid", "w") as fh:
    fh.write(str(os.getpid()))
if os.environ.get("TESTGATE_FAULT_AT", "").startswith("step"):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not os.path.exists("stop-step"):
        time.sleep(0.01)
"""

N_REPORTS = 3


def write_project(root: Path, tests: int, db: str, project: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "step.py").write_text(STEP, encoding="utf-8")
    (root / "testgate.yaml").write_text(
        "version: 1\n"
        f"project: {project}\n"
        f"history: {{url: {json.dumps(db)}}}\n"
        "pipeline:\n"
        "  stages:\n"
        "    - name: unit\n"
        "      steps:\n"
        "        - name: t\n"
        f"          run: [{json.dumps(sys.executable)}, step.py, '{tests}']\n"
        "          reports: [reports/junit-*.xml]\n",
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Scenario:
    command: str  # "run" or "record"
    point: str  # a name of testgate._faults.POINTS, with ":N" for the N-th time
    sig: signal.Signals
    tests: int  # tests per report

    def __str__(self) -> str:
        return f"{self.command}@{self.point}/{self.sig.name}/{self.tests}"


@dataclass
class Killed:
    scenario: Scenario
    root: Path
    code: int
    reached: bool
    err: str


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def kill_at(
    scenario: Scenario,
    root: Path,
    args: list[str],
    timeout: float = 60,
    *,
    sigint_ignored: bool = False,
) -> Killed:
    """Start ``testgate ARGS`` in *root*, wait until it pauses at the scenario's point (a file
    it writes), send the signal, let it go on, and wait for it to end. *sigint_ignored*: start
    it with SIGINT ignored, as a shell starts a background job."""
    mark = root / f".fault-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, ENV: scenario.point, MARK_ENV: str(mark)}
    env.pop("TESTGATE_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "testgate", *args],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    deadline = time.monotonic() + timeout
    reached = False
    while time.monotonic() < deadline:
        if mark.exists() and mark.read_text().endswith("\n"):
            reached = True
            break
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    if reached:
        proc.send_signal(scenario.sig)
    Path(str(mark) + ".go").touch()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"{scenario}: testgate did not end after the signal") from None
    for f in (mark, Path(str(mark) + ".go")):
        f.unlink(missing_ok=True)
    return Killed(scenario, root, proc.returncode, reached, err.decode(errors="replace"))


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def summaries_complete(state: Path) -> list[str]:
    """Problems with the summaries under *state* (``.testgate``): each is complete or absent."""
    problems = []
    for path in [*state.glob("runs/*/summary.json"), state / "latest" / "summary.json"]:
        if not path.exists():
            continue
        try:
            read_summary(path)
        except InputError as exc:
            problems.append(f"{path} is not a complete summary: {exc}")
    return problems


def leftover_temporaries(state: Path) -> list[str]:
    return [str(p) for p in state.rglob("*.tmp")]


_RUNS = (
    "select r.uid, r.interrupted, r.tests_total, "
    "(select count(*) from results x where x.run_id = r.id) from runs r where r.project = %s"
)


def store_problems(
    db: str, project: str, expect_tests: int
) -> tuple[list[str], list[tuple[str, bool]]]:
    """(problems, [(run uid, interrupted)]): the store passes its integrity check and every
    run in it is fully recorded (its results are its tests)."""
    problems: list[str] = []
    if db.startswith("sqlite:///"):
        path = db[len("sqlite:///") :]
        if not Path(path).exists():
            return [], []
        with sqlite3.connect(path) as conn:
            check = conn.execute("pragma integrity_check").fetchall()
            if check != [("ok",)]:
                problems.append(f"integrity_check: {check}")
            rows = conn.execute(_RUNS.replace("%s", "?"), (project,)).fetchall()
    else:
        import psycopg

        with psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://")) as conn:
            try:
                rows = conn.execute(_RUNS, (project,)).fetchall()  # type: ignore[arg-type]
            except psycopg.errors.UndefinedTable:
                return [], []
    runs = []
    for uid, interrupted, total, results in rows:
        runs.append((uid, bool(interrupted)))
        if total != results:
            problems.append(f"run {uid}: {total} tests recorded as total but {results} results")
        if not interrupted and results != expect_tests:
            problems.append(f"run {uid}: {results} results, expected {expect_tests}")
    return problems, runs
