"""Back-test a gate before turning it on (issue 10, section 3): ``testgate gate --backtest``
evaluates the configuration's gates over the runs the history recorded."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from testgate.testing import Project

from .test_run_baseline import CI_VARS, _git

PYTEST = json.dumps(
    f"{sys.executable} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests"
)

PIPELINE = f"""\
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: {PYTEST}
          reports: [reports/junit.xml]
"""

GATES = """\
gates:
  tests_gate:
    criteria:
      none_failed: {metric: tests.failed, threshold: "== 0"}
      count: {metric: tests.total, trend: not_decreasing}
  speed_gate:
    criteria:
      fast: {metric: tests.duration_s, threshold: "< 100s"}
    enforcement: {blocking: false}
"""

TESTS = """\
import os


def test_a():
    assert True


def test_b():
    assert os.environ.get("BREAK_B") != "1", "b is broken"
"""


@pytest.fixture
def recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Four runs recorded before any gate existed: pass, fail, fail, pass (on branch main)."""
    for var in CI_VARS:
        monkeypatch.delenv(var, raising=False)
    project.write("testgate.yaml", PIPELINE)
    project.write("tests/test_ab.py", TESTS)
    project.write(".gitignore", ".testgate/\nreports/\n")
    _git(project.root, "init", "-q", "-b", "main")
    _git(project.root, "add", "-A")
    _git(project.root, "commit", "-qm", "two tests")
    for broken in (False, True, True, False):
        if broken:
            monkeypatch.setenv("BREAK_B", "1")
        else:
            monkeypatch.delenv("BREAK_B", raising=False)
        project.run("run").assert_code(1 if broken else 0)
    project.write("testgate.yaml", PIPELINE + GATES)
    return project


def test_backtest_says_what_the_gates_would_have_done(recorded: Project) -> None:
    out = recorded.run("gate", "--backtest", "--last", "10", "--format", "json").assert_success()
    data: dict[str, Any] = json.loads(out.out)
    assert (data["branch"], data["runs"], data["blocked"], data["blocked_then_fixed"]) == (
        "main",
        4,
        2,
        2,
    )
    rows = data["rows"]
    assert [r["verdict"] for r in rows] == ["pass", "fail", "fail", "pass"]
    assert rows[1]["deciding"] == [
        "tests_gate / none_failed: 1, expected == 0 "
        "(tests.test_ab::test_b: AssertionError: b is broken)"
    ]
    # a blocked run is fixed by the next run of the branch the gates pass
    assert rows[1]["fixed_by"] == rows[2]["fixed_by"] == rows[3]["run"]
    # each run is compared with the run before it (the trend criterion has a baseline)
    assert [r["baseline"] for r in rows] == [None, rows[0]["run"], rows[1]["run"], rows[2]["run"]]
    assert rows[0]["recorded_verdict"] is None  # no gate existed when they ran


def test_backtest_text_markdown_last_and_branch(recorded: Project) -> None:
    out = recorded.run("gate", "--backtest").assert_success()
    out.fnmatch_lines(
        [
            "*BLOCK*tests_gate / none_failed: 1, expected == 0*",
            "4 run(s) of main: the gates would have blocked 2 (50%); 2 of them were followed by a "
            "fix on their branch (a later run the gates pass), 0 were not",
            "note: 4 recorded run(s) on main (the only branch recorded)",
        ]
    )
    last2 = json.loads(
        recorded.run("gate", "--backtest", "--last", "2", "--format", "json").assert_success().out
    )
    assert [r["verdict"] for r in last2["rows"]] == ["fail", "pass"]
    md = recorded.run("gate", "--backtest", "--format", "markdown").assert_success().out
    assert md.startswith("## testgate back-test: 2 of 4 run(s) of `main` would be blocked")
    assert "| ❌ block |" in md
    other = json.loads(
        recorded.run("gate", "--backtest", "--branch", "feature", "--format", "json").out
    )
    assert (other["branch"], other["runs"]) == ("feature", 0)


def test_backtest_refuses_what_it_cannot_do(project: Project) -> None:
    project.write("testgate.yaml", PIPELINE + GATES)
    out = project.run("gate", "--backtest").assert_code(2)
    assert "--backtest: no history store at" in out.err
    out = project.run("gate", "--backtest", "--format", "junit").assert_code(2)
    assert "a back-test is written as text, json, markdown" in out.err


def test_the_python_api_gives_the_same_backtest(recorded: Project) -> None:
    from testgate import api

    result = api.backtest(recorded.root / "testgate.yaml", last=10)
    assert (len(result.rows), len(result.blocked), len(result.fixed)) == (4, 2, 2)
    assert {s["source"] for s in api.metrics()} >= {"junit", "k6", "history"}
    assert api.config_schema()["title"] == "testgate.yaml"
