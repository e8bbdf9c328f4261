from __future__ import annotations

import urllib.request

from testgate.model import write_summary
from testgate.server.prom import aggregate_run, error_type
from testgate.testing import Project

from ..report._runs import hostile_run


def test_error_type_from_message() -> None:
    assert error_type("failed", "AssertionError: 1 != 2") == "AssertionError"
    assert error_type("error", "requests.exceptions.ConnectTimeout: x") == "ConnectTimeout"
    assert error_type("failed", "expected 1") == "assertion"


def test_aggregate_counts_by_stage_and_status() -> None:
    agg = aggregate_run(hostile_run())
    assert agg.executions[("unit", "passed")] == 21
    assert agg.executions[("unit", "failed")] == 1
    assert agg.executions[("unit", "error")] == 1
    assert agg.failures[("unit", "ConnectionRefusedError")] == 1
    assert sum(agg.durations[("unit", "api")][0]) == 24


def test_push_to_a_real_pushgateway(project: Project, pushgateway: str) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    out = project.run("push", "--gateway", pushgateway, "--summary", "summary.json")
    out.assert_success()
    with urllib.request.urlopen(f"{pushgateway}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert (
        'test_executions_total{branch="feature/x",instance="",job="testgate",'
        'project="shop",status="passed",test_type="unit"} 21' in text
    )
    assert "test_execution_duration_seconds_bucket" in text
    assert 'test_coverage_percent_count{branch="feature/x"' in text


def test_push_to_nowhere_is_a_clear_error(project: Project) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    out = project.run("push", "--gateway", "http://127.0.0.1:9", "--summary", "summary.json")
    out.assert_code(2)
    assert "cannot push to the Pushgateway at http://127.0.0.1:9" in out.err
