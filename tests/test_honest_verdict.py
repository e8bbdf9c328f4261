"""The verdict says what happened: real pytest runs through the real ``testgate run``."""

from __future__ import annotations

import json
import sys

from testgate.testing import Project

ERRORING_TESTS = """
import pytest

@pytest.fixture
def db():
    raise ConnectionRefusedError("database is down")

def test_one(db): pass
def test_two(db): pass
"""

PASSING_TESTS = """
def test_one(): pass
"""

FAILING_TESTS = """
def test_one(): assert 1 == 2
"""


def _config(*, gates: str = "", clean: str = "") -> str:
    return f"""
pipeline:
  stages:
    - name: unit
      steps:
        - name: pytest
          run: {sys.executable} -m pytest -p no:cacheprovider -q --junitxml=reports/unit.xml
          reports: [reports/unit.xml]
{clean}
{gates}
"""


GATE = """
gates:
  tests_gate:
    criteria:
      - {metric: tests.failed, threshold: "== 0"}
"""


def test_a_run_where_every_test_errored_fails_tests_failed_eq_0(project: Project) -> None:
    project.write("test_db.py", ERRORING_TESTS)
    project.write("testgate.yaml", _config(gates=GATE))
    out = project.run("run", "--no-record").assert_code(3)
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    m = summary["metrics"]
    assert (m["tests.failed"], m["tests.failures"], m["tests.errors"]) == (2, 0, 2)
    assert summary["verdict"]["verdict"] == "fail"
    # the console uses the summary's words: errors are not called failures
    assert "2 tests: 0 passed, 2 errors" in out.out
    last = out.out.rstrip().splitlines()[-1]
    assert last.startswith("testgate: GATE FAILED ·"), last
    assert "PASSED" not in last


def test_quiet_prints_only_the_final_line(project: Project) -> None:
    project.write("test_db.py", ERRORING_TESTS)
    project.write("testgate.yaml", _config(gates=GATE))
    out = project.run("run", "-q", "--no-record").assert_code(3)
    lines = out.out.strip().splitlines()
    assert len(lines) == 1, out.out
    assert lines[0].startswith("testgate: GATE FAILED")


def test_a_report_left_by_an_earlier_run_is_deleted_before_the_step(project: Project) -> None:
    project.write("test_ok.py", PASSING_TESTS)
    project.write("testgate.yaml", _config())
    project.run("run", "--no-record").assert_success()
    # the step now fails before pytest writes a report: yesterday's green report must not count
    project.write(
        "testgate.yaml",
        _config().replace(f"run: {sys.executable} -m pytest", "run: exit 3 && pytest"),
    )
    out = project.run("run", "--no-record").assert_code(1)
    assert "report 'reports/unit.xml' was not written" in out.out
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert "tests.total" not in summary["metrics"]


def test_a_stale_report_is_refused_by_name(project: Project) -> None:
    project.write("test_ok.py", PASSING_TESTS)
    project.write("testgate.yaml", _config())
    project.run("run", "--no-record").assert_success()
    # without cleaning, the old report is still there, but this run's step did not write it
    project.write(
        "testgate.yaml",
        _config(clean="          clean_reports: false").replace(
            f"run: {sys.executable} -m pytest", "run: exit 1 && pytest"
        ),
    )
    out = project.run("run", "--no-record").assert_code(2)
    assert "stale report: reports/unit.xml was last written before the step started" in out.err, (
        out.err
    )
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert "tests.total" not in summary["metrics"]
    assert out.out.rstrip().splitlines()[-1].startswith("testgate: ERROR")


def test_a_failing_run_without_gates_ends_with_failed(project: Project) -> None:
    project.write("test_bad.py", FAILING_TESTS)
    project.write("testgate.yaml", _config())
    out = project.run("run", "--no-record").assert_code(1)
    assert out.out.rstrip().splitlines()[-1].startswith("testgate: FAILED ·")
