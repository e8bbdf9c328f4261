"""The gates section is validated like the pipeline: every problem at once, each with its
file:line, "did you mean", and metric names that no report can give refused with the names the
configured steps' reports can give (issue 10, 2.8)."""

from __future__ import annotations

import json

from testgate.testing import Project

CONFIG = """\
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: pytest --junitxml=reports/junit.xml --cov --cov-report=xml:reports/coverage.xml
          reports: [reports/junit.xml, {path: reports/cov.xml, format: coberture}]
          timeout: soon
gates:
  g:
    criteria:
      cov: {metric: coverage.lines, threshold: ">= 80%"}
      fails: {metric: tests.failed, threshhold: "== 0"}
      vulnerability_scan: {critcal: 0, high: 0}
      latency: {metric: perf.api.p95, threshold: "< 200ms"}
      total: {metric: tests.total, threshold: lots}
    enforcement: {blocking: maybe}
  h:
    criteria:
      vulnerabilty_scan: {critical: 0}
deployment_gates:
  prod: {required_gates: [all_unit_test_pass]}
quarantine:
  - {test: "a::b", owner: ana}
alerts:
  - {name: x, condition: "coverge < previous - 5%"}
  - {name: y, condition: "execution_time > 5%"}
"""


def test_every_problem_of_pipeline_and_gates_is_reported_at_once(project: Project) -> None:
    project.write("testgate.yaml", CONFIG)
    out = project.run("validate").assert_code(2)
    out.fnmatch_lines(
        [
            "testgate: error: 14 problems found*",
            "  testgate.yaml:7: pipeline.stages.0.steps.0.reports.1.format: unknown report "
            "format 'coberture'; did you mean 'cobertura'?*",
            "  testgate.yaml:8: pipeline.stages.0.steps.0.timeout: got 'soon' (string)*",
            "  testgate.yaml:12: gates.g.criteria.cov.metric: unknown metric 'coverage.lines'; "
            "did you mean 'coverage.line'? the configured steps' reports and testgate can give: "
            "tests.{total|passed|failed|*",
            "  testgate.yaml:13: gates.g.criteria.fails.threshhold: unknown key 'threshhold'; "
            "did you mean 'threshold'?",
            "  testgate.yaml:14: gates.g.criteria.vulnerability_scan.critcal: unknown key "
            "'critcal' in vulnerability_scan; did you mean 'critical'?",
            "  testgate.yaml:15: gates.g.criteria.latency.metric: unknown metric 'perf.api.p95'; "
            "did you mean 'perf.api.p95_ms'?*",
            "  testgate.yaml:16: gates.g.criteria.total.threshold: cannot read threshold 'lots' "
            "(column 1: expected a number, found 'lots')*",
            "  testgate.yaml:17: gates.g.enforcement.blocking: got 'maybe' (string); expected "
            "true or false",
            "  testgate.yaml:20: gates.h.criteria.vulnerabilty_scan: unknown criteria group "
            "'vulnerabilty_scan'; did you mean 'vulnerability_scan'?",
            "  testgate.yaml:22: deployment_gates.prod.required_gates.0: 'all_unit_test_pass' is "
            "neither a configured gate nor a built-in check; did you mean 'all_unit_tests_pass'?*",
            "  testgate.yaml:24: quarantine.0.reason: missing required key 'reason'*",
            "  testgate.yaml:24: quarantine.0.expires: missing required key 'expires'*",
            "  testgate.yaml:26: alerts.0.condition: unknown metric 'coverge' in 'coverge < "
            "previous - 5%'; did you mean 'coverage'?*",
            "  testgate.yaml:27: alerts.1.condition: 'execution_time > 5%': '5%' is compared with "
            "a quantity that is not a percentage*",
        ],
        stream="err",
    )
    assert "Traceback" not in out.err


def test_validate_json_gives_each_problem_with_its_line(project: Project) -> None:
    project.write("testgate.yaml", CONFIG)
    out = project.run("validate", "--format", "json").assert_code(2)
    doc = json.loads(out.out)
    assert doc["ok"] is False
    found = {(p["line"], p["key"]) for p in doc["problems"]}
    assert (12, "gates.g.criteria.cov.metric") in found
    assert (20, "gates.h.criteria.vulnerabilty_scan") in found


def test_an_unknown_metric_is_refused_before_any_step_runs(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """\
        pipeline:
          stages:
            - name: test
              steps:
                - {name: unit, run: "touch ran", reports: [junit.xml]}
        gates:
          g:
            criteria:
              c: {metric: tests.pass_rat, threshold: "100%"}
        """,
    )
    out = project.run("run").assert_code(2)
    assert "testgate.yaml:9: gates.g.criteria.c.metric: unknown metric 'tests.pass_rat'" in out.err
    assert "did you mean 'tests.pass_rate'?" in out.err
    assert not (project.root / "ran").exists()


def test_a_metric_no_configured_step_gives_is_a_note_not_an_error(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """\
        pipeline:
          stages:
            - name: test
              steps:
                - {name: unit, run: pytest, reports: [reports/junit.xml]}
        gates:
          g:
            criteria:
              overall: {threshold: ">= 80%"}
              latency: {metric: "perf.*.p95_ms", threshold: "< 200ms"}
        """,
    )
    out = project.run("validate").assert_success()
    out.fnmatch_lines(
        [
            "note: testgate.yaml:9: gates.g.criteria.overall: coverage.line comes from a "
            "coverage report, and no step's reports: is one*",
            "note: testgate.yaml:10: gates.g.criteria.latency.metric: perf.*.p95_ms comes from a "
            "perf report*",
            "testgate.yaml: OK (1 stage, 1 step, 1 gate)",
        ]
    )


def test_the_seed_gates_validate_unchanged(project: Project, fixtures: object) -> None:
    from pathlib import Path

    assert isinstance(fixtures, Path)
    project.copy(fixtures / "gates" / "seed_gates.yaml", "testgate.yaml")
    out = project.run("validate").assert_success()
    assert out.out.strip().splitlines()[-1] == "testgate.yaml: OK (0 stages, 0 steps, 6 gates)"


def test_metrics_lists_the_catalogue_by_adapter_with_units(project: Project) -> None:
    out = project.run("metrics").assert_success()
    out.fnmatch_lines(
        [
            "coverage: *cobertura*lcov*",
            "  coverage.line * %  *",
            "perf: *k6*",
            "  perf.<scenario>.p<N>_ms * ms *",
            "perf (micro-benchmarks: read only by a criterion that names their scenario): "
            "*pytest-benchmark*",
            "tests: *junit*",
            "  tests.failed * count *failed and errored tests",
            "testgate run",
            "  pipeline.duration_s * s *",
            "history",
            "  history.flaky_rate * % *",
        ]
    )
    doc = json.loads(project.run("metrics", "--json").assert_success().out)
    junit = next(s for s in doc if s["source"] == "junit")
    assert {"name": "tests.pass_rate", "unit": "%"}.items() <= junit["metrics"][8].items()
