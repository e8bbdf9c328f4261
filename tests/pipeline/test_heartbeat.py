"""Without a TTY, a long step prints a heartbeat (elapsed time, its last output line) so that a
CI log never looks hung; TESTGATE_HEARTBEAT sets the interval (0: off). The interval is shortened
here to keep the tests fast; the steps are real processes that print and then keep working."""

from __future__ import annotations

import io
import re
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.errors import UsageError
from testgate.pipeline.output import DEFAULT_HEARTBEAT_S, heartbeat_interval
from testgate.testing import Project

SLOW = f"""\
pipeline:
  stages:
    - name: checks
      steps:
        - name: slow
          run: >-
            {sys.executable} -c "import time;
            print('collected 12 items', flush=True);
            print('\\x1b[32mtests/test_a.py ....\\x1b[0m', flush=True);
            time.sleep(2.5)"
        - name: quick
          run: "true"
"""

BEAT = re.compile(
    r"^\[\d\d:\d\d:\d\d\] running checks/slow for (\d+\.\d)s; last output (\d+\.\d)s ago: "
    r"(.*)$"
)


def test_a_long_step_prints_heartbeats_with_its_last_line(project: Project) -> None:
    project.write("testgate.yaml", SLOW)
    out = project.run_subprocess("run", "--no-record", env={"TESTGATE_HEARTBEAT": "0.5"})
    assert out.code == 0, out.err
    beats = [m for m in map(BEAT.match, out.out.splitlines()) if m]
    # 2.5 s of work at one line per 0.5 s: several heartbeats, each later than the one before
    assert len(beats) >= 3, out.out
    elapsed = [float(m.group(1)) for m in beats]
    assert elapsed == sorted(elapsed)
    assert elapsed[0] >= 0.5
    # the last line the step printed, without its colour codes
    assert {m.group(3) for m in beats} == {"tests/test_a.py ...."}
    assert float(beats[-1].group(2)) >= 1.0  # it has been quiet since
    # no heartbeat for the quick step, and none after the slow one finished
    assert "running checks/quick" not in out.out
    lines = out.out.splitlines()
    done = next(i for i, x in enumerate(lines) if "pass checks/slow" in x)
    assert not any(BEAT.match(x) for x in lines[done:])


def test_a_step_that_printed_nothing_says_so(project: Project) -> None:
    project.write(
        "testgate.yaml",
        textwrap.dedent(
            f"""\
            pipeline:
              stages:
                - name: s
                  steps:
                    - name: silent
                      run: {sys.executable} -c "import time; time.sleep(1.5)"
            """
        ),
    )
    out = project.run_subprocess("run", "--no-record", env={"TESTGATE_HEARTBEAT": "0.5"})
    assert out.code == 0, out.err
    assert re.search(r"running s/silent for \d+\.\ds \(no output yet\)", out.out), out.out


def test_zero_turns_the_heartbeat_off(project: Project) -> None:
    project.write("testgate.yaml", SLOW)
    out = project.run_subprocess("run", "--no-record", env={"TESTGATE_HEARTBEAT": "0"})
    assert out.code == 0, out.err
    assert "running checks/slow for" not in out.out
    assert "pass checks/slow" in out.out


def test_quiet_prints_no_heartbeat(project: Project) -> None:
    project.write("testgate.yaml", SLOW)
    out = project.run_subprocess("run", "-q", "--no-record", env={"TESTGATE_HEARTBEAT": "0.5"})
    assert out.code == 0, out.err
    assert "running checks/slow" not in out.out


def test_a_bad_interval_is_a_usage_error(project: Project) -> None:
    project.write("testgate.yaml", SLOW)
    out = project.run_subprocess("run", "--no-record", env={"TESTGATE_HEARTBEAT": "soon"})
    assert out.code == 2
    assert "TESTGATE_HEARTBEAT='soon': expected a number of seconds" in out.err
    assert "Traceback" not in out.err
    assert not (project.root / ".testgate" / "runs").exists()  # nothing ran


def test_interval_parsing() -> None:
    assert heartbeat_interval({}) == DEFAULT_HEARTBEAT_S == 60.0
    assert heartbeat_interval({"TESTGATE_HEARTBEAT": " 30 "}) == 30.0
    assert heartbeat_interval({"TESTGATE_HEARTBEAT": "0"}) == 0.0
    for bad in ("1m", "-1", "inf", "nan"):
        with pytest.raises(UsageError, match="expected a number of seconds"):
            heartbeat_interval({"TESTGATE_HEARTBEAT": bad})


def test_an_attached_run_directory_is_where_the_log_is_read(tmp_path: Path) -> None:
    """The runner can hand the run directory over (PlainProgress.attach) instead of it being
    looked for; the heartbeat then reads the step's log there."""
    from rich.console import Console

    from testgate.pipeline.output import PlainProgress
    from testgate.pipeline.plan import Plan, PlannedStep

    step = PlannedStep(stage="it", name="slow", index=0, command="true", cwd=tmp_path / "elsewhere")
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    progress = PlainProgress(console, console, heartbeat=3600)
    run_dir = tmp_path / "run"
    (run_dir / "logs").mkdir(parents=True)
    (run_dir / "logs" / "it__slow.log").write_text("migrating table 7 of 9\n")
    progress.attach(run_dir)
    clock = [0.0]
    progress.heartbeat.clock = lambda: clock[0]
    progress.begin(Plan(steps=[step], stage_deps={"it": []}, resources={}))
    try:
        progress.step_started(step)
        clock[0] = 3600.0
        progress.heartbeat.beat()
    finally:
        progress.end()
    assert "running it/slow for 1h00m; last output" in out.getvalue()
    assert out.getvalue().rstrip().endswith("ago: migrating table 7 of 9")
