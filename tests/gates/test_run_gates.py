"""``testgate run`` evaluates the gates after the pipeline and stores the verdict."""

from __future__ import annotations

import json
import sys

from testgate.testing import Project

JUNIT = (
    '<testsuite name="s" tests="2"><testcase classname="t.m" name="a"/>'
    '<testcase classname="t.m" name="b"/></testsuite>'
)

CONFIG = f"""
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: [{json.dumps(sys.executable)}, make_junit.py]
          reports: [junit.xml]
gates:
  tests_gate:
    criteria:
      enough: {{metric: tests.total, threshold: "%s"}}
"""


def setup(project: Project, threshold: str) -> None:
    project.write("make_junit.py", f"open('junit.xml', 'w').write({JUNIT!r})\n")
    project.write("testgate.yaml", CONFIG % threshold)


def test_run_exits_3_when_a_blocking_gate_fails_and_keeps_the_verdict(project: Project) -> None:
    setup(project, ">= 5")
    project.run("run", "-q").assert_code(3)
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert summary["verdict"]["verdict"] == "fail"
    (crit,) = summary["verdict"]["criteria"]
    assert (crit["metric"], crit["actual"], crit["status"]) == ("tests.total", 2.0, "fail")
    project.run("gate").assert_code(3)


def test_run_passes_when_the_gates_pass(project: Project) -> None:
    setup(project, ">= 2")
    project.run("run", "-q").assert_success()
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert summary["verdict"]["verdict"] == "pass"


def test_a_bad_gate_is_refused_before_any_step_runs(project: Project) -> None:
    setup(project, "lots")
    out = project.run("run", "-q").assert_code(2)
    assert "testgate.yaml:11: gates.tests_gate.criteria.enough" in out.err
    # like any configuration error: nothing ran, so no step's time is wasted on a bad config
    assert not (project.root / ".testgate/latest/summary.json").exists()
