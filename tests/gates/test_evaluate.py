"""Evaluation: statuses, hints, not measured, quarantine, strict, bypass, baselines, env."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.errors import GateError
from testgate.gates.evaluate import Result, Verdict, evaluate
from testgate.gates.facts import ChangedLines
from testgate.gates.spec import parse_gates
from testgate.model import Finding, StepResult
from tests.gates.runs import gates_yaml, make_run

SEED = Path(__file__).parent.parent / "fixtures" / "gates" / "seed_gates.yaml"


def by_name(v: Verdict) -> dict[str, Result]:
    return {f"{r.gate}/{r.criterion}": r for r in v.results}


def test_seed_gates_over_a_real_shaped_run_report_every_criterion_without_crashing() -> None:
    data = yaml.safe_load(SEED.read_text())
    spec = parse_gates(data["gates"], data["deployment_gates"])
    run = make_run(
        passed=9,
        failed=[("test_login", "AssertionError: 401 != 200")],
        coverage={"src/app.py": {1: 1, 2: 1, 3: 0, 4: 0}},
        findings=[
            Finding(
                "trivy",
                "CVE-2024-1",
                "critical",
                "bad",
                "vulnerability",
                package="lxml",
                version="4.0",
                fixed_in="5.0",
            )
        ],
        metrics={"perf.api_gateway.p95_ms": 250.0, "perf.api_gateway.p50_ms": 20.0},
    )
    v = evaluate(spec, run)
    r = by_name(v)
    assert not v.passed
    assert v.exit_code == 3
    assert r["coverage_gate/overall"].status == "fail"
    assert r["coverage_gate/overall"].actual_text == "50%"
    assert r["coverage_gate/overall"].hint == "src/app.py 50% (missing lines 3-4)"
    assert r["security_gate/vulnerability_scan.critical"].status == "fail"
    assert r["security_gate/vulnerability_scan.critical"].hint == (
        "lxml@4.0: CVE-2024-1 (fixed in 5.0) - bad"
    )
    assert r["e2e_gate/critical_user_journeys.pass_rate"].hint == (
        "tests.test_bad::test_login: AssertionError: 401 != 200"
    )
    assert r["performance_gate/response_times.api_gateway.p95"].status == "fail"
    assert r["performance_gate/response_times.api_gateway.p50"].status == "pass"
    p99 = r["performance_gate/response_times.api_gateway.p99"]
    assert p99.status == "fail"
    assert p99.actual is None
    assert p99.hint is not None
    assert "no performance report was read" in p99.hint
    pci = r["security_gate/compliance.pci_dss"]
    assert (pci.status, pci.actual_text) == ("not_measured", "not measured")
    lint = r["code_quality_gate/linting.pass_rate"]
    assert lint.hint == (
        "lint.errors: no lint report was read; add a ruff, eslint, checkstyle, pmd, rubocop, "
        "hadolint, cfn-lint or sarif report to a step's reports"
    )


def _spec(text: str) -> object:
    return parse_gates(gates_yaml(text))


def test_a_metric_no_report_provided_is_not_read_as_zero() -> None:
    spec = parse_gates(gates_yaml("sec: {criteria: {vulnerability_scan: {critical: 0}}}"))
    v = evaluate(spec, make_run())
    (r,) = v.results
    assert (r.status, r.actual) == ("fail", None)
    assert r.hint is not None
    assert r.hint.startswith("security.critical: no vulnerability scan")


@pytest.mark.parametrize(
    ("on_missing", "status", "passed"),
    [("fail", "fail", False), ("warn", "warn", True), ("skip", "skipped", True)],
)
def test_on_missing(on_missing: str, status: str, passed: bool) -> None:
    spec = parse_gates(
        {
            "g": {
                "criteria": {
                    "c": {
                        "metric": "mutation.score",
                        "threshold": ">= 80%",
                        "on_missing": on_missing,
                    }
                }
            }
        }
    )
    v = evaluate(spec, make_run())
    assert (v.results[0].status, v.passed) == (status, passed)


def test_non_blocking_gate_failures_warn_and_strict_fails_on_them() -> None:
    spec = parse_gates(
        gates_yaml(
            """
            soft:
              enforcement: {blocking: false}
              criteria: {cov: {metric: coverage.line, threshold: ">= 90%"}}
            hard:
              criteria: {t: {metric: tests.failed, threshold: "== 0"}}
            """
        )
    )
    run = make_run(coverage={"a.py": {1: 1, 2: 0}})
    v = evaluate(spec, run)
    assert v.passed
    assert v.gates == {"soft": "fail", "hard": "pass"}
    assert not evaluate(spec, run, strict=True).passed


def test_warn_level_warns_and_strict_fails_on_warnings() -> None:
    spec = parse_gates(
        {
            "g": {
                "criteria": {
                    "c": {"metric": "coverage.line", "threshold": ">= 90%", "level": "warn"}
                }
            }
        }
    )
    run = make_run(coverage={"a.py": {1: 1, 2: 0}})
    v = evaluate(spec, run)
    assert v.results[0].status == "warn"
    assert v.passed
    assert v.exit_code == 0
    assert evaluate(spec, run, strict=True).exit_code == 3


BYPASS = """
g:
  enforcement: {blocking: true, bypass_allowed: %s}
  criteria: {t: {metric: tests.failed, threshold: "== 0"}}
"""


def test_bypass_where_allowed_passes_and_is_recorded() -> None:
    spec = parse_gates(gates_yaml(BYPASS % "true"))
    run = make_run(failed=[("t", "boom")])
    v = evaluate(spec, run, bypass="hotfix INC-1")
    assert v.passed
    assert v.exit_code == 0
    assert v.bypass == {"reason": "hotfix INC-1", "gates": ["g"], "applied": True}
    assert v.to_dict()["bypass"]["reason"] == "hotfix INC-1"


def test_bypass_is_refused_where_not_allowed() -> None:
    spec = parse_gates(gates_yaml(BYPASS % "false"))
    with pytest.raises(GateError, match=r"--bypass is not allowed for gate\(s\) g"):
        evaluate(spec, make_run(failed=[("t", "boom")]), bypass="please")


def test_quarantined_failures_do_not_count_until_the_entry_expires() -> None:
    spec = parse_gates(
        {
            "g": {
                "criteria": {
                    "t": {"metric": "tests.failed", "threshold": "== 0"},
                    "r": {"metric": "tests.pass_rate", "threshold": "100%"},
                }
            }
        },
        None,
        [{"test": "tests.test_bad::test_flaky", "owner": "ana", "expires": "2026-06-30"}],
    )
    run = make_run(failed=[("test_flaky", "timeout")])
    v = evaluate(spec, run, today=dt.date(2026, 6, 30))
    assert v.passed
    assert [r.actual for r in v.results] == [0.0, 100.0]
    assert v.warnings == []
    late = evaluate(spec, run, today=dt.date(2026, 7, 1))
    assert not late.passed
    assert late.warnings == [
        "quarantine entry for tests.test_bad::test_flaky (owner ana) expired on 2026-06-30; "
        "its failures count again"
    ]


def test_a_hundred_percent_pass_rate_is_not_reached_by_rounding() -> None:
    spec = parse_gates({"g": {"criteria": {"api_contracts": {"validation": "100% pass"}}}})
    run = make_run(passed=199_999, failed=[("t", "x")])
    assert run.metrics["tests.pass_rate"] == 99.9995  # the summary's rounded metric
    r = evaluate(spec, run).results[0]
    assert r.status == "fail"
    assert r.actual is not None
    assert r.actual < 100
    assert r.actual_text == "99.99%"


TREND = """
cov:
  criteria:
    overall: {threshold: ">= 50%", trend: not_decreasing, min_effect: 0.5}
"""


def test_trend_against_a_baseline_with_min_effect() -> None:
    spec = parse_gates(gates_yaml(TREND))
    base = make_run(coverage={"a.py": dict.fromkeys(range(1, 1001), 1) | {1000: 0}}, run_id="base")
    tiny_drop = make_run(coverage={"a.py": dict.fromkeys(range(1, 1001), 1) | {999: 0, 1000: 0}})
    r = by_name(evaluate(spec, tiny_drop, baseline=base))["cov/overall.trend"]
    assert r.status == "pass"
    assert r.baseline == pytest.approx(99.9)
    big = make_run(coverage={"a.py": {n: int(n > 10) for n in range(1, 1001)}})
    r = by_name(evaluate(spec, big, baseline=base))["cov/overall.trend"]
    assert r.status == "fail"
    assert r.hint == "coverage.line dropped by 0.9% since the baseline"
    no_base = by_name(evaluate(spec, big))["cov/overall.trend"]
    assert no_base.status == "not_measured"
    assert "--baseline" in (no_base.hint or "")


def test_baseline_comparison_of_the_seed_with_min_effect() -> None:
    spec = parse_gates(
        gates_yaml(
            """
            perf:
              criteria: {}
              baseline_comparison:
                threshold: "5%"
                metrics: [response_time, throughput, resource_usage]
                min_effect: 3ms
            """
        )
    )
    base = make_run(metrics={"perf.api.p95_ms": 40.0, "perf.api.rps": 1000.0}, run_id="b")
    noisy = make_run(metrics={"perf.api.p95_ms": 42.5, "perf.api.rps": 990.0})
    r = by_name(evaluate(spec, noisy, baseline=base))
    assert r["perf/baseline_comparison.response_time"].status == "pass"  # +6% but < 3ms
    assert r["perf/baseline_comparison.throughput"].status == "pass"  # -1%
    assert r["perf/baseline_comparison.resource_usage"].status == "not_measured"
    slow = make_run(metrics={"perf.api.p95_ms": 60.0, "perf.api.rps": 800.0})
    r = by_name(evaluate(spec, slow, baseline=base))
    assert r["perf/baseline_comparison.response_time"].status == "fail"
    assert r["perf/baseline_comparison.response_time"].hint == (
        "perf.api.p95_ms regressed 50% vs the baseline (40ms -> 60ms)"
    )
    assert r["perf/baseline_comparison.throughput"].status == "fail"


def test_wildcard_perf_metrics_report_the_worst_scenario() -> None:
    spec = parse_gates({"g": {"criteria": {"service_communication": {"latency": "p95 < 100ms"}}}})
    run = make_run(metrics={"perf.a.p95_ms": 50.0, "perf.b.p95_ms": 180.0, "perf.c.p95_ms": 120.0})
    r = evaluate(spec, run).results[0]
    assert (r.metric, r.actual, r.status) == ("perf.b.p95_ms", 180.0, "fail")
    assert r.details[:3] == ("perf.b.p95_ms = 180ms", "b p95 180ms", "c p95 120ms")


def test_component_and_critical_path_coverage_from_globs() -> None:
    spec = parse_gates(
        gates_yaml(
            """
            cov:
              criteria:
                by_component:
                  web: {paths: ["web/**"], threshold: ">= 75%"}
                  api: {paths: ["api/*.py"], threshold: ">= 50%"}
                critical_paths:
                  threshold: ">= 100%"
                  paths: {auth: ["api/auth*.py"], ghost: ["nowhere/**"]}
            """
        )
    )
    run = make_run(
        coverage={
            "web/a.js": {1: 1, 2: 1, 3: 1, 4: 0},
            "web/deep/b.js": {1: 0, 2: 0},
            "api/auth.py": {1: 1, 2: 1},
            "api/x.py": {1: 0},
        }
    )
    r = by_name(evaluate(spec, run))
    web = r["cov/by_component.web"]
    assert (web.metric, web.actual_text, web.status) == ("coverage.component.web", "50%", "fail")
    assert web.hint == "web/deep/b.js 0% (missing lines 1-2)"
    assert r["cov/by_component.api"].actual == pytest.approx(200 / 3)
    assert r["cov/critical_paths.auth"].status == "pass"
    ghost = r["cov/critical_paths.ghost"]
    assert ghost.status == "fail"
    assert ghost.hint == ("coverage.paths.ghost: no coverable file matches nowhere/**")


def test_new_code_coverage_from_changed_lines_and_the_floor() -> None:
    spec = parse_gates(
        {"c": {"criteria": {"new_code": {"threshold": ">= 90%", "min_changed_lines": 3}}}}
    )
    run = make_run(coverage={"a.py": {1: 1, 2: 0, 3: 1, 5: 0}, "b.py": {1: 1}})
    changes = ChangedLines(
        "main", "abc123", {"a.py": frozenset({2, 3, 4, 5}), "c.txt": frozenset({1})}
    )
    r = evaluate(spec, run, changes=changes).results[0]
    assert (r.actual_text, r.status) == ("33.33%", "fail")
    assert r.hint == "a.py: uncovered new lines 2, 5"
    few = ChangedLines("main", "abc123", {"a.py": frozenset({2, 3})})
    r = evaluate(spec, run, changes=few).results[0]
    assert r.status == "skipped"
    assert r.hint == (
        "only 2 changed coverable line(s); the criterion needs at least 3 (min_changed_lines)"
    )


def test_deployment_env_evaluates_its_required_set_with_builtin_checks() -> None:
    spec = parse_gates(
        gates_yaml("cov: {criteria: {overall: {threshold: '>= 50%'}}}"),
        gates_yaml(
            """
            staging:
              required_gates: [all_unit_tests_pass, coverage_threshold_met,
                               no_critical_vulnerabilities, integration_tests_pass]
            production:
              required_gates: [all_quality_gates_pass, manual_approval]
            """
        ),
    )
    run = make_run(
        passed=2,
        coverage={"a.py": {1: 1}},
        step="integration-api",
        steps=[StepResult("integration", "integration-api", "passed")],
        metrics={"security.critical": 0.0},
    )
    v = evaluate(spec, run, env="staging")
    assert v.passed, [r.to_dict() for r in v.results if r.status != "pass"]
    assert v.results[0].gate == "cov"  # gates a check depends on come first
    prod = evaluate(spec, run, env="production")
    approval = by_name(prod)["manual_approval/approved"]
    assert approval.status == "fail"
    assert "--approve" in (approval.hint or "")
    assert evaluate(spec, run, env="production", approved=True).passed
    with pytest.raises(GateError, match=r"no deployment_gates\.qa"):
        evaluate(spec, run, env="qa")


def test_evaluation_is_pure_and_repeatable() -> None:
    data = yaml.safe_load(SEED.read_text())
    spec = parse_gates(data["gates"], data["deployment_gates"])
    run = make_run(failed=[("t", "m")], coverage={"a.py": {1: 0}})
    assert evaluate(spec, run).to_dict() == evaluate(spec, run).to_dict()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.booleans(), min_size=1, max_size=60),
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=0, max_value=30),
)
def test_raising_a_coverage_minimum_never_turns_a_failing_verdict_into_a_pass(
    hits: list[bool], minimum: int, raise_by: int
) -> None:
    run = make_run(coverage={"a.py": {n: int(h) for n, h in enumerate(hits, 1)}})

    def verdict(m: int) -> bool:
        spec = parse_gates({"g": {"criteria": {"overall": {"threshold": f">= {m}%"}}}})
        return evaluate(spec, run).passed

    if not verdict(minimum):
        assert not verdict(minimum + raise_by)
    if not all(hits):
        assert not verdict(100)  # a single missed line never rounds up to 100%


def test_a_regression_from_a_zero_baseline_is_reported_not_crashed() -> None:
    spec = parse_gates(
        {
            "p": {
                "criteria": {},
                "baseline_comparison": {"threshold": "5%", "metrics": ["perf.api.error_rate"]},
            }
        }
    )
    base = make_run(metrics={"perf.api.error_rate": 0.0}, run_id="b")
    now = make_run(metrics={"perf.api.error_rate": 1.0})
    (r,) = evaluate(spec, now, baseline=base).results
    assert r.status == "fail"
    assert r.hint == "perf.api.error_rate regressed ∞% vs the baseline (0% -> 1%)"
