"""k6 summaries: every number compared with the one k6 itself wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from testgate.adapters.registry import read_report
from testgate.errors import InputError


def _k6(fixtures: Path, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((fixtures / "perf" / name).read_text())
    return doc["metrics"]


def test_summary_export_legacy_matches_k6s_own_figures(fixtures: Path) -> None:
    """The legacy --summary-export shape: stats sit directly in each metric."""
    path = fixtures / "perf" / "k6__summary-export-legacy.json"
    data, ref = read_report(path)
    k6 = _k6(fixtures, path.name)
    m = data.metrics
    assert ref.format == "k6"
    assert ref.kind == "perf"
    assert m["perf.all.p95_ms"] == k6["http_req_duration"]["p(95)"]
    assert m["perf.all.p90_ms"] == k6["http_req_duration"]["p(90)"]
    assert m["perf.all.p50_ms"] == k6["http_req_duration"]["med"]
    assert m["perf.all.avg_ms"] == k6["http_req_duration"]["avg"]
    assert m["perf.all.rps"] == k6["http_reqs"]["rate"]
    assert m["perf.all.requests"] == k6["http_reqs"]["count"]
    # http_req_failed's "value" is the fraction of failed requests
    assert m["perf.all.error_rate"] == pytest.approx(100 * k6["http_req_failed"]["value"])
    # k6 was not asked for p(99): absent, never 0
    assert "perf.all.p99_ms" not in m
    sub = k6["http_req_duration{expected_response:true}"]
    assert m["perf.expected_response_true.p95_ms"] == sub["p(95)"]


def test_handle_summary_data_shape(fixtures: Path) -> None:
    """handleSummary's data: stats under "values"; http_req_failed's passes are failures."""
    path = fixtures / "perf" / "k6__handleSummary-data.json"
    data, ref = read_report(path)
    k6 = _k6(fixtures, path.name)
    m = data.metrics
    assert ref.format == "k6"
    duration = k6["http_req_duration"]["values"]
    assert m["perf.all.p95_ms"] == duration["p(95)"]
    assert m["perf.all.p50_ms"] == duration["med"]
    assert m["perf.all.rps"] == k6["http_reqs"]["values"]["rate"]
    failed = k6["http_req_failed"]["values"]
    assert m["perf.all.error_rate"] == pytest.approx(
        100 * failed["passes"] / (failed["passes"] + failed["fails"])
    )
    assert 1.13 < m["perf.all.error_rate"] < 1.14


def test_custom_trend_stats_give_p99_and_p99_9(fixtures: Path) -> None:
    path = fixtures / "perf" / "k6__summary-export-p99.json"
    data, _ = read_report(path)
    k6 = _k6(fixtures, path.name)["http_req_duration"]
    assert data.metrics["perf.all.p99_ms"] == k6["p(99)"]
    assert data.metrics["perf.all.p99_9_ms"] == k6["p(99.9)"]
    assert "perf.all.p95_ms" not in data.metrics
    assert data.metrics["perf.all.error_rate"] == 0.0


def test_tagged_submetrics_become_scenarios(tmp_path: Path) -> None:
    doc = {
        "metrics": {
            "http_req_duration": {"avg": 10.0, "med": 9.0, "p(95)": 20.0},
            "http_req_duration{name:Login Page}": {"avg": 30.0, "med": 25.0, "p(95)": 50.0},
            "http_reqs{name:Login Page}": {"count": 10, "rate": 2.5},
            "http_req_failed{name:Login Page}": {"passes": 1, "fails": 9, "value": 0.1},
            "http_req_duration{scenario:checkout,method:POST}": {"med": 7.0},
        },
        "root_group": {"checks": {}},
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(doc))
    data, _ = read_report(path)
    m = data.metrics
    assert m["perf.login_page.p95_ms"] == 50.0
    assert m["perf.login_page.p50_ms"] == 25.0
    assert m["perf.login_page.rps"] == 2.5
    assert m["perf.login_page.error_rate"] == pytest.approx(10.0)
    assert m["perf.scenario_checkout_method_post.p50_ms"] == 7.0
    assert m["perf.all.p95_ms"] == 20.0
    assert all(k.split(".")[1].replace("_", "").isalnum() for k in m)


def test_checks_stand_in_when_http_req_failed_is_missing(fixtures: Path, tmp_path: Path) -> None:
    """k6 before 0.31 had no http_req_failed: the checks' failure rate is the error rate."""
    doc = json.loads((fixtures / "perf" / "k6__summary-export-submetric.json").read_text())
    del doc["metrics"]["http_req_failed"]
    path = tmp_path / "old-k6.json"
    path.write_text(json.dumps(doc))
    data, _ = read_report(path, format="k6")
    checks = doc["metrics"]["checks"]
    assert data.metrics["perf.all.error_rate"] == pytest.approx(100 * (1 - checks["value"]))


def test_truncated_summary_is_one_error_naming_file_and_line(
    fixtures: Path, tmp_path: Path
) -> None:
    text = (fixtures / "perf" / "k6__summary-export-legacy.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match=r"cut\.json:\d+: not valid JSON \(truncated\?\)"):
        read_report(path, format="k6")


def test_empty_and_foreign_json_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(InputError, match=r"empty\.json:1: report is empty"):
        read_report(empty, format="k6")
    other = tmp_path / "other.json"
    other.write_text('{"metrics": [1, 2]}')
    with pytest.raises(InputError, match="not a k6 summary"):
        read_report(other, format="k6")


def test_detection_picks_k6_for_every_sample(fixtures: Path, tmp_path: Path) -> None:
    for path in sorted((fixtures / "perf").glob("k6__*.json")):
        target = tmp_path / "report.json"  # detection by content, not by name
        shutil.copy(path, target)
        _, ref = read_report(target)
        assert ref.format == "k6", path.name
