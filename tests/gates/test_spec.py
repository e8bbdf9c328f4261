"""Gate configuration: the seed's shorthand, the explicit form, and errors with key paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from testgate.config.loader import load_config
from testgate.errors import ConfigError
from testgate.gates.spec import BUILTIN_CHECKS, parse_gates
from tests.gates.runs import gates_yaml

SEED = Path(__file__).parent.parent / "fixtures" / "gates" / "seed_gates.yaml"


def test_the_seeds_six_gates_load_unchanged_through_the_config_loader() -> None:
    loaded = load_config(SEED)
    cfg = loaded.config
    spec = parse_gates(cfg.gates, cfg.deployment_gates, cfg.quarantine)
    assert list(spec.gates) == [
        "code_quality_gate",
        "coverage_gate",
        "integration_gate",
        "e2e_gate",
        "performance_gate",
        "security_gate",
    ]
    metrics = {(c.gate, c.name): c.metric for g in spec.gates.values() for c in g.criteria}
    assert metrics[("code_quality_gate", "linting.pass_rate")] == "lint.errors"
    assert metrics[("code_quality_gate", "code_complexity.cyclomatic_complexity")] == (
        "complexity.cyclomatic.max"
    )
    assert metrics[("coverage_gate", "overall")] == "coverage.line"
    assert metrics[("coverage_gate", "new_code")] == "coverage.new_code"
    assert metrics[("integration_gate", "service_communication.latency")] == "perf.*.p95_ms"
    assert metrics[("performance_gate", "response_times.api_gateway.p99")] == (
        "perf.api_gateway.p99_ms"
    )
    assert metrics[("performance_gate", "throughput.sustained_rps")] == "perf.all.rps"
    assert metrics[("security_gate", "vulnerability_scan.medium")] == "security.medium"
    assert metrics[("security_gate", "code_security.secrets_scan")] == "secrets.count"
    kinds = {(c.gate, c.name): c.kind for g in spec.gates.values() for c in g.criteria}
    assert kinds[("security_gate", "compliance.pci_dss")] == "unmeasurable"
    assert kinds[("e2e_gate", "accessibility.wcag_level")] == "unmeasurable"
    assert kinds[("coverage_gate", "overall.trend")] == "trend"
    assert kinds[("performance_gate", "baseline_comparison.response_time")] == "baseline"
    # journeys, browsers, devices are context, not criteria
    assert not any(n.endswith((".journeys", ".browsers", ".devices")) for _, n in kinds)
    assert spec.deployments["production"].required[-1] == "manual_approval"
    assert any("rollback_triggers" in n for n in spec.notes)


def test_seed_gates_without_enforcement_are_blocking_and_fail_on_missing() -> None:
    data = yaml.safe_load(SEED.read_text())
    spec = parse_gates(data["gates"])
    cov = spec.gates["coverage_gate"]
    assert cov.blocking
    assert not cov.bypass_allowed
    assert {c.on_missing for c in cov.criteria} == {"fail"}


def test_explicit_criteria_as_a_mapping_and_as_a_list() -> None:
    spec = parse_gates(
        gates_yaml(
            """
            a:
              criteria:
                line: {metric: coverage.line, threshold: ">= 80%", level: warn, on_missing: skip}
            b:
              enforcement: {blocking: false, bypass_allowed: true}
              criteria:
                - {metric: tests.failed, threshold: "== 0"}
                - {name: fast, metric: perf.api.p95_ms, threshold: "< 0.2s", min_effect: 5ms}
            """
        )
    )
    (line,) = spec.gates["a"].criteria
    assert (line.metric, str(line.threshold), line.level, line.on_missing) == (
        "coverage.line",
        ">= 80%",
        "warn",
        "skip",
    )
    failed, fast = spec.gates["b"].criteria
    assert failed.on_missing == "warn"  # default for a non-blocking gate
    assert fast.name == "fast"
    assert fast.min_effect == 5.0


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "g: {criteria: {x: {metric: coverage.line, threshold: 'lots'}}}",
            "gates.g.criteria.x.threshold",
        ),
        (
            "g: {criteria: {x: {metric: perf.a.p95_ms, threshold: '< 5%'}}}",
            "gates.g.criteria.x.threshold",
        ),
        (
            "g: {criteria: {x: {metric: coverage.line, threshold: '>= 1', level: fatal}}}",
            "gates.g.criteria.x.level",
        ),
        (
            "g: {criteria: {x: {metric: coverage.line, thresold: '>= 1'}}}",
            "gates.g.criteria.x.thresold",
        ),
        ("g: {enforcement: {blocking: maybe}}", "gates.g.enforcement.blocking"),
        ("g: {critera: {}}", "gates.g.critera"),
        (
            "g: {criteria: {vulnerability_scan: {critical: 'many'}}}",
            "gates.g.criteria.vulnerability_scan.critical",
        ),
    ],
)
def test_config_errors_name_the_key_path(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(gates_yaml(text))
    assert any(p.startswith(f"{where}:") for p in info.value.problems), info.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(gates_yaml("a: {critera: 1}\nb: {criteria: {x: {metric: m, threshold: '?'}}}"))
    assert len(info.value.problems) == 2


def test_unknown_required_gate_lists_the_known_names() -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(
            gates_yaml("cov: {criteria: {overall: {threshold: '>= 1%'}}}"),
            {"production": {"required_gates": ["cov", "all_tests_green"]}},
        )
    message = info.value.problems[0]
    assert message.startswith("deployment_gates.production.required_gates[1]: 'all_tests_green'")
    assert "cov" in message
    assert all(name in message for name in BUILTIN_CHECKS)


def test_components_and_critical_paths_with_globs() -> None:
    spec = parse_gates(
        gates_yaml(
            """
            cov:
              criteria:
                critical_paths:
                  threshold: ">= 95%"
                  paths: {auth: ["src/auth/**"], "payment processing": ["src/pay/*.py"]}
                by_component:
                  frontend: {paths: ["web/**"], threshold: ">= 85%"}
                  backend: ">= 90%"
            """
        )
    )
    by_name = {c.name: c for c in spec.gates["cov"].criteria}
    assert by_name["critical_paths.auth"].metric == "coverage.paths.auth"
    assert (
        by_name["critical_paths.payment processing"].metric == "coverage.paths.payment_processing"
    )
    assert by_name["critical_paths.payment processing"].paths == ("src/pay/*.py",)
    assert by_name["by_component.frontend"].metric == "coverage.component.frontend"
    backend = by_name["by_component.backend"]
    assert backend.kind == "unmeasurable"
    assert backend.note is not None
    assert "no paths for component 'backend'" in backend.note


def test_quarantine_entries_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"quarantine\[0\]\.expires"):
        parse_gates({}, None, [{"test": "a::b", "expires": "next week"}])
    spec = parse_gates({}, None, [{"test": "a::b", "owner": "me", "expires": "2030-01-01"}])
    assert spec.quarantine[0].owner == "me"


def test_shorthand_thresholds_are_unit_checked_at_load_time() -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(gates_yaml("g: {criteria: {service_communication: {latency: 'p95 < 5%'}}}"))
    assert info.value.problems[0].startswith(
        "gates.g.criteria.service_communication.latency: threshold 'p95 < 5%' is in %"
    )


def test_a_lint_pass_rate_below_100_is_refused_with_the_explicit_alternative() -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(gates_yaml("g: {criteria: {linting: {pass_rate: 95%}}}"))
    assert info.value.problems[0].startswith(
        "gates.g.criteria.linting.pass_rate: testgate can check a lint pass rate of 100% only"
    )
    spec = parse_gates(
        gates_yaml("g: {criteria: {linting: {pass_rate: 100%, severity_threshold: warning}}}")
    )
    assert [c.metric for c in spec.gates["g"].criteria] == ["lint.errors", "lint.warnings"]
