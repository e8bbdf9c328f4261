"""``testgate gate`` end to end: exit codes, formats, files, bypass, strict, baseline, env."""

from __future__ import annotations

import json

import pytest

from testgate.config.loader import load_config
from testgate.model import write_summary
from testgate.testing import Project
from tests.gates.runs import make_run

CONFIG = """
project: demo
gates:
  tests_gate:
    criteria:
      failures: {metric: tests.failed, threshold: "== 0"}
    enforcement: {blocking: true, bypass_allowed: %(bypass)s}
  coverage_gate:
    criteria:
      overall: {threshold: ">= 60%%", trend: not_decreasing}
    enforcement: {blocking: false}
deployment_gates:
  production:
    required_gates: [tests_gate, manual_approval]
"""


def setup(project: Project, *, failed: bool, bypass: bool = False, covered: int = 1) -> None:
    project.write("testgate.yaml", CONFIG % {"bypass": str(bypass).lower()})
    run = make_run(
        failed=[("test_x", "boom")] if failed else None,
        coverage={"src/a.py": {1: covered, 2: 1}},
    )
    write_summary(run, project.root / ".testgate" / "latest" / "summary.json")


def test_passing_verdict_exits_0_and_prints_the_table(project: Project) -> None:
    setup(project, failed=False)
    out = project.run("gate").assert_success()
    out.fnmatch_lines(
        [
            "*gate*criterion*actual*expected*status*hint*",
            "*tests_gate*failures*0*== 0*pass*",
            "testgate verdict: PASS*",
        ]
    )


def test_a_failing_blocking_gate_exits_3_with_the_failing_test_as_hint(project: Project) -> None:
    setup(project, failed=True)
    out = project.run("gate").assert_code(3)
    out.fnmatch_lines(
        [
            "*tests_gate*failures*1*== 0*FAIL*tests.test_bad::test_x: boom*",
            "testgate verdict: FAIL*",
        ]
    )


def test_non_blocking_failure_passes_but_strict_fails(project: Project) -> None:
    setup(project, failed=False, covered=0)
    project.run("gate").assert_success().fnmatch_lines(["*coverage_gate*FAIL (non-blocking)*"])
    project.run("gate", "--strict").assert_code(3)


def test_bypass_where_allowed_is_recorded_in_json(project: Project) -> None:
    setup(project, failed=True, bypass=True)
    out = project.run("gate", "--bypass", "hotfix INC-7", "--format", "json").assert_success()
    data = json.loads(out.out)
    assert data["verdict"] == "pass"
    bypass = data["bypass"]
    assert {k: bypass[k] for k in ("reason", "gates", "applied")} == {
        "reason": "hotfix INC-7",
        "gates": ["tests_gate"],
        "applied": True,
    }
    assert bypass["user"]  # who, and when: every exception is recorded (see test_bypass.py)
    assert bypass["at"]


def test_bypass_is_refused_with_exit_2(project: Project) -> None:
    setup(project, failed=True, bypass=False)
    out = project.run("gate", "--bypass", "please").assert_code(2)
    assert "--bypass is not allowed for gate(s) tests_gate" in out.err


def test_output_file_gets_the_format_and_stdout_the_table(project: Project) -> None:
    setup(project, failed=True)
    out = project.run("gate", "--format", "markdown", "-o", "out/gate.md").assert_code(3)
    assert (project.root / "out" / "gate.md").read_text().startswith("## ❌ testgate verdict")
    out.fnmatch_lines(["testgate verdict: FAIL*"])


@pytest.mark.parametrize("fmt", ["json", "markdown", "github", "junit", "text"])
def test_every_format_renders(project: Project, fmt: str) -> None:
    setup(project, failed=True)
    out = project.run("gate", "--format", fmt).assert_code(3)
    assert "tests" in out.out


def test_baseline_file_feeds_the_trend(project: Project) -> None:
    setup(project, failed=False, covered=0)
    better = make_run(coverage={"src/a.py": {1: 1, 2: 1}}, run_id="base-run")
    write_summary(better, project.root / "base.json")
    out = project.run("gate", "--baseline", "base.json", "--format", "json").assert_success()
    data = json.loads(out.out)
    trend = next(c for c in data["criteria"] if c["criterion"] == "overall.trend")
    assert (trend["status"], trend["baseline"], data["baseline_run"]) == ("fail", 100.0, "base-run")


def test_env_production_needs_approval(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(project, failed=False)
    project.run("gate", "--env", "production").assert_code(3).fnmatch_lines(
        ["*manual_approval*approved*FAIL*--approve*"]
    )
    project.run("gate", "--env", "production", "--approve").assert_success()
    monkeypatch.setenv("TESTGATE_APPROVED", "1")
    project.run("gate", "--env", "production").assert_success()


def test_input_and_config_errors_exit_2(project: Project) -> None:
    project.write(
        "testgate.yaml", "gates: {g: {criteria: {x: {metric: coverage.line, threshold: lots}}}}"
    )
    write_summary(make_run(), project.root / ".testgate" / "latest" / "summary.json")
    out = project.run("gate").assert_code(2)
    assert "testgate.yaml:1: gates.g.criteria.x.threshold: cannot read threshold 'lots'" in out.err
    project.write("testgate.yaml", "gates: {}")
    out = project.run("gate", "--summary", "missing.json").assert_code(2)
    assert "missing.json: no such summary file" in out.err


def test_the_workflow_gate_stores_the_verdict_in_the_run(project: Project) -> None:
    from testgate import workflow

    setup(project, failed=True)
    loaded = workflow.load(project.root / "testgate.yaml")
    run = make_run(failed=[("t", "x")])
    verdict = workflow.gate(loaded, run, workflow.GateOptions())
    assert run.verdict is verdict
    assert run.verdict.verdict == "fail"
    assert run.to_dict()["verdict"]["criteria"][0]["gate"] == "tests_gate"


def test_baseline_ref_reads_the_last_recorded_run_from_the_history_store(project: Project) -> None:
    from testgate.history import record_run
    from testgate.model import VcsInfo

    setup(project, failed=False, covered=0)
    loaded = load_config(project.root / "testgate.yaml")
    recorded = make_run(coverage={"src/a.py": {1: 1, 2: 1}}, run_id="main-run")
    recorded.vcs = VcsInfo("c" * 40, "main", None)
    recorded.started_at = "2026-01-01T00:00:00+00:00"
    recorded.finished_at = "2026-01-01T00:01:00+00:00"
    record_run(loaded, recorded)
    out = project.run("gate", "--baseline", "main", "--format", "json").assert_success()
    data = json.loads(out.out)
    trend = next(c for c in data["criteria"] if c["criterion"] == "overall.trend")
    assert (trend["status"], trend["baseline"], data["baseline_run"]) == ("fail", 100.0, "main-run")
    missing = project.run("gate", "--baseline", "release-9").assert_code(2)
    assert "no recorded run of 'release-9' in the history store" in missing.err
