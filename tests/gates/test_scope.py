"""A criterion measures what it names (issue 10, 2.5): population-named criteria (journeys,
browsers, a service, contracts, e2e) need a scope and are otherwise not measured; latency
criteria read load tests, never micro-benchmarks; performance reports never overwrite each
other. Real pytest and pytest-benchmark runs, real k6 summaries."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from testgate.testing import Project

PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"

UNIT = """\
def test_price():
    assert round(0.1 + 0.2, 2) == 0.3


def test_tax():
    assert 21 * 2 == 41, "tax rounding is off"
"""

E2E = """\
def test_signup_journey():
    assert True


def test_checkout_journey():
    assert True
"""


def _pipeline(extra_steps: str = "") -> str:
    unit = json.dumps(f"{PYTEST} --junitxml=reports/unit.xml tests/unit")
    e2e = json.dumps(f"{PYTEST} --junitxml=reports/e2e.xml tests/e2e")
    return f"""\
pipeline:
  stages:
    - name: unit
      steps:
        - {{name: pytest, run: {unit}, reports: [reports/unit.xml], allow_failure: true}}
    - name: e2e
      steps:
        - {{name: journeys, run: {e2e}, reports: [reports/e2e.xml]}}
{extra_steps}"""


def _tests(project: Project) -> None:
    project.write("tests/unit/test_money.py", UNIT)
    project.write("tests/e2e/test_journeys.py", E2E)


def _verdict(project: Project) -> dict[str, Any]:
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    verdict = summary["verdict"]
    assert isinstance(verdict, dict)
    return verdict


def test_unscoped_journeys_are_not_measured_never_the_whole_runs_unit_tests(
    project: Project,
) -> None:
    _tests(project)
    project.write(
        "testgate.yaml",
        _pipeline()
        + """\
gates:
  e2e_gate:
    criteria:
      critical_user_journeys:
        pass_rate: "100%"
        journeys: [signup, checkout]
""",
    )
    out = project.run("run").assert_code(3)
    (row,) = _verdict(project)["criteria"]
    assert (row["actual"], row["status"]) == (None, "fail")
    assert row["hint"] == (
        "critical_user_journeys.pass_rate measures user journeys, not the whole run: scope it "
        "to the tests (or load tests) that are, e.g. critical_user_journeys: {scope: {stages: "
        "[e2e]}}, {scope: {steps: [e2e/playwright]}} or {scope: {tests: 'tests/e2e/*'}}"
    )
    assert "not measured" in out.out


def test_a_scoped_criterion_measures_its_stage_only(project: Project) -> None:
    _tests(project)
    project.write(
        "testgate.yaml",
        _pipeline()
        + """\
gates:
  e2e_gate:
    criteria:
      critical_user_journeys:
        pass_rate: "100%"
        scope: {stages: [e2e]}
      cross_browser_compatibility:
        pass_rate: ">= 98%"
        scope: {tests: "tests.e2e.*"}
  unit_gate:
    criteria:
      unit_pass_rate: {metric: tests.pass_rate, threshold: "100%", scope: {steps: [unit/*]}}
    enforcement: {blocking: false}
""",
    )
    # the unit test failure is tolerated (allow_failure) and its gate does not block: the e2e
    # gate passes on the e2e tests alone, although the whole run's pass rate is 75%
    project.run("run").assert_success()
    rows = {r["criterion"]: r for r in _verdict(project)["criteria"]}
    journeys = rows["critical_user_journeys.pass_rate"]
    assert (journeys["actual"], journeys["status"]) == (100.0, "pass")
    assert journeys["details"] == ["scope: stages e2e"]
    browsers = rows["cross_browser_compatibility.pass_rate"]
    assert (browsers["actual"], browsers["status"]) == (100.0, "pass")
    unit = rows["unit_pass_rate"]
    assert (unit["actual"], unit["status"]) == (50.0, "fail")
    assert unit["hint"] == "tests.unit.test_money::test_tax: AssertionError: tax rounding is off"


def test_a_scope_that_matches_nothing_is_not_measured(project: Project) -> None:
    _tests(project)
    project.write(
        "testgate.yaml",
        _pipeline()
        + """\
gates:
  g:
    criteria:
      mobile_responsiveness: {pass_rate: "100%", scope: {stages: [mobile]}}
""",
    )
    project.run("run").assert_code(3)
    (row,) = _verdict(project)["criteria"]
    assert row["actual"] is None
    assert row["hint"] == (
        "tests.pass_rate: nothing in the criterion's scope (stages mobile) gave it"
    )


def _perf_project(project: Project, fixtures: Path, gates: str) -> None:
    project.copy(fixtures / "perf" / "k6__summary-export-legacy.json", "data/k6-eu.json")
    project.copy(fixtures / "perf" / "k6__handleSummary-data.json", "data/k6-us.json")
    project.write(
        "bench/test_parse.py",
        "def test_parse(benchmark):\n    benchmark(lambda: sum(range(100)))\n",
    )
    bench = json.dumps(
        f"{PYTEST} bench --benchmark-json=reports/bench.json --benchmark-min-rounds=3 "
        "--benchmark-max-time=0.01 --benchmark-warmup=off"
    )
    project.write(
        "testgate.yaml",
        f"""\
pipeline:
  stages:
    - name: load
      steps:
        - name: eu
          run: cp data/k6-eu.json reports/eu.json
          reports: [{{path: reports/eu.json, format: k6}}]
        - name: us
          run: cp data/k6-us.json reports/us.json
          reports: [{{path: reports/us.json, format: k6}}]
    - name: bench
      steps:
        - {{name: micro, run: {bench}, reports: [reports/bench.json]}}
{gates}""",
    )


def test_perf_reports_never_overwrite_each_other(project: Project, fixtures: Path) -> None:
    gates = """\
gates:
  perf:
    criteria:
      latency: {metric: "perf.*.p95_ms", threshold: "< 250ms"}
      throughput: {metric: perf.all.rps, threshold: ">= 5"}
"""
    _perf_project(project, fixtures, gates)
    project.run("run").assert_code(3)
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    # both load tests give perf.all.p95_ms: neither wins, each is kept with its report
    assert "perf.all.p95_ms" not in summary["metrics"]
    by_step = {r["step"]: r for r in summary["run"]["reports"]}
    assert by_step["load/eu"]["metrics"]["perf.all.p95_ms"] == 269.06783674999986
    assert by_step["load/us"]["metrics"]["perf.all.p95_ms"] == 130.64669999999998
    rows = {r["criterion"]: r for r in summary["verdict"]["criteria"]}
    latency = rows["latency"]
    # every scenario of both load tests is checked, the worst decides, the hint names its step
    p95s = [
        (v, k, r["step"])
        for r in summary["run"]["reports"]
        if r["format"] == "k6"
        for k, v in r["metrics"].items()
        if k.endswith(".p95_ms")
    ]
    value, name, step = max(p95s)
    assert step == "load/eu"
    assert (latency["metric"], latency["actual"], latency["status"]) == (name, value, "fail")
    assert latency["hint"].endswith("in load/eu (k6)")
    # the micro-benchmark's operations per second are not the service's throughput
    throughput = rows["throughput"]
    assert (throughput["actual"], throughput["status"]) == (7.833582374276645, "pass")


def test_latency_criteria_never_read_a_micro_benchmark(project: Project, fixtures: Path) -> None:
    gates = """\
gates:
  perf:
    criteria:
      latency: {metric: "perf.*.avg_ms", threshold: "< 100ms", scope: {stages: [bench]}}
      parse: {metric: perf.test_parse.avg_ms, threshold: "< 100ms"}
"""
    _perf_project(project, fixtures, gates)
    project.run("run").assert_code(3)
    rows = {r["criterion"]: r for r in _verdict(project)["criteria"]}
    assert rows["latency"]["actual"] is None
    assert rows["latency"]["hint"] == (
        "perf.*.avg_ms: only micro-benchmarks (reports/bench.json (pytest-benchmark)) give it; "
        "a latency criterion reads load-test reports (k6, Locust, JMeter, Gatling, wrk, "
        "autocannon); name a benchmark's scenario to gate on it"
    )
    # naming the benchmark reads it
    assert rows["parse"]["status"] == "pass"
    assert rows["parse"]["actual"] < 100


def test_a_service_latency_is_measured_from_its_scope(project: Project, fixtures: Path) -> None:
    gates = """\
gates:
  integration_gate:
    criteria:
      service_communication:
        latency: "p95 < 200ms"
        scope: {steps: [load/us]}
"""
    _perf_project(project, fixtures, gates)
    project.run("run").assert_success()
    (row,) = _verdict(project)["criteria"]
    assert (row["metric"], row["actual"], row["status"]) == (
        "perf.all.p95_ms",
        130.64669999999998,
        "pass",
    )
