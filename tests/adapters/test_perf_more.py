"""Gatling, wrk, Google Benchmark and JMH: figures compared with the producers' own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from testgate.adapters.registry import read_report
from testgate.errors import InputError


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "name",
    [
        "gatling-3.1__global_stats.json",
        "gatling-3.1__global_stats-no-ko.json",
        "gatling-3.9__global_stats.json",
    ],
)
def test_gatling_global_stats(fixtures: Path, name: str) -> None:
    path = fixtures / "perf" / name
    data, ref = read_report(path)
    g = _json(path)
    m = data.metrics
    assert ref.format == "gatling"
    assert m["perf.all.p50_ms"] == g["percentiles1"]["total"]
    assert m["perf.all.p95_ms"] == g["percentiles3"]["total"]
    assert m["perf.all.p99_ms"] == g["percentiles4"]["total"]
    assert m["perf.all.avg_ms"] == g["meanResponseTime"]["total"]
    assert m["perf.all.rps"] == g["meanNumberOfRequestsPerSecond"]["total"]
    n = g["numberOfRequests"]
    assert m["perf.all.error_rate"] == pytest.approx(100 * n["ko"] / n["total"])


def test_gatling_stats_tree(fixtures: Path) -> None:
    path = fixtures / "perf" / "gatling-3.1__stats.json"
    data, _ = read_report(path)
    tree = _json(path)
    m = data.metrics
    assert m["perf.all.p95_ms"] == tree["stats"]["percentiles3"]["total"]
    requests = [n for n in tree["contents"].values() if n["type"] == "REQUEST"]
    home = next(n for n in requests if n["name"] == "Getting Google Homepage")
    assert m["perf.getting_google_homepage.p95_ms"] == home["stats"]["percentiles3"]["total"]
    assert m["perf.getting_google_homepage.error_rate"] == 10.0
    assert len({k.split(".")[1] for k in m}) == len(requests) + 1


def test_gatling_dash_is_absent(tmp_path: Path) -> None:
    """stats.js writes "-" where a figure is missing: absent, never 0."""
    path = tmp_path / "global_stats.json"
    path.write_text(
        json.dumps(
            {
                "name": "All Requests",
                "numberOfRequests": {"total": 0, "ok": 0, "ko": 0},
                "meanResponseTime": {"total": "-", "ok": "-", "ko": "-"},
            }
        )
    )
    data, _ = read_report(path)
    assert "perf.all.avg_ms" not in data.metrics
    assert "perf.all.error_rate" not in data.metrics  # no requests: no rate


def test_wrk_with_latency_distribution(fixtures: Path, tmp_path: Path) -> None:
    target = tmp_path / "wrk.out"
    shutil.copy(fixtures / "perf" / "wrk__latency-distribution.txt", target)
    data, ref = read_report(target)
    assert ref.format == "wrk"
    m = data.metrics
    assert m["perf.all.avg_ms"] == 42.28
    assert m["perf.all.p50_ms"] == 40.25
    assert m["perf.all.p99_ms"] == 46.51
    assert m["perf.all.rps"] == 17.81
    assert m["perf.all.requests"] == 18
    assert m["perf.all.error_rate"] == 0.0
    assert "perf.all.p95_ms" not in m  # wrk does not print a 95th percentile


def test_wrk_mixed_units_and_errors(fixtures: Path) -> None:
    data, _ = read_report(fixtures / "perf" / "wrk__non-2xx.txt")
    m = data.metrics
    assert m["perf.all.stddev_ms"] == pytest.approx(0.05533)  # 55.33us
    assert m["perf.all.avg_ms"] == 78.43
    assert m["perf.all.error_rate"] == 100.0  # 12 non-2xx of 12 requests
    assert "perf.all.p50_ms" not in m


def test_wrk_truncated(fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "wrk.txt"
    path.write_text("Running 1s test @ http://x\n  1 threads and 1 connections\n")
    with pytest.raises(InputError, match="not wrk output"):
        read_report(path, format="wrk")


def test_google_benchmark(fixtures: Path) -> None:
    path = fixtures / "perf" / "google-benchmark__json.json"
    data, ref = read_report(path)
    assert ref.format == "google-benchmark"
    for bench in _json(path)["benchmarks"]:
        assert bench["time_unit"] == "ns"
        key = f"perf.{bench['name']}"
        assert data.metrics[f"{key}.avg_ms"] == pytest.approx(bench["real_time"] / 1e6)
        assert data.metrics[f"{key}.cpu_ms"] == pytest.approx(bench["cpu_time"] / 1e6)
        assert data.metrics[f"{key}.rps"] == pytest.approx(1e9 / bench["real_time"])


def test_google_benchmark_aggregates(tmp_path: Path) -> None:
    def run(t: float, **kw: object) -> dict[str, object]:
        return {"name": "BM_x", "run_name": "BM_x", "real_time": t, "cpu_time": t,
                "time_unit": "us", "iterations": 10, **kw}  # fmt: skip

    doc = {
        "context": {"date": "now"},
        "benchmarks": [
            run(10.0, run_type="iteration"),
            run(12.0, run_type="iteration"),
            run(0.0, run_type="iteration", error_occurred=True, error_message="boom"),
            run(11.0, run_type="aggregate", aggregate_name="mean"),
            run(10.5, run_type="aggregate", aggregate_name="median"),
            run(1.0, run_type="aggregate", aggregate_name="stddev"),
        ],
    }
    path = tmp_path / "bm.json"
    path.write_text(json.dumps(doc))
    m = read_report(path)[0].metrics
    assert m["perf.bm_x.avg_ms"] == pytest.approx(0.011)
    assert m["perf.bm_x.p50_ms"] == pytest.approx(0.0105)
    assert m["perf.bm_x.stddev_ms"] == pytest.approx(0.001)
    assert m["perf.bm_x.error_rate"] == pytest.approx(100 / 3)


def test_jmh_throughput_and_sample_modes(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "perf" / "jmh__json.json"
    data, ref = read_report(path)
    assert ref.format == "jmh"
    score = _json(path)[0]["primaryMetric"]["score"]
    assert data.metrics["perf.jmhsample_01_helloworld_wellhellothere.rps"] == score
    sample = [
        {
            "jmhVersion": "1.37",
            "benchmark": "org.example.Sorts.quick",
            "mode": "sample",
            "params": {"size": "100"},
            "primaryMetric": {
                "score": 1500.0,
                "scoreUnit": "ns/op",
                "scorePercentiles": {"0.0": 900.0, "50.0": 1400.0, "99.0": 4000.0, "100.0": 9e3},
            },
        }
    ]
    other = tmp_path / "jmh.json"
    other.write_text(json.dumps(sample))
    m = read_report(other)[0].metrics
    assert m["perf.sorts_quick_size_100.avg_ms"] == pytest.approx(0.0015)
    assert m["perf.sorts_quick_size_100.p50_ms"] == pytest.approx(0.0014)
    assert m["perf.sorts_quick_size_100.p99_ms"] == pytest.approx(0.004)
    assert "perf.sorts_quick_size_100.rps" not in m


def test_autocannon_with_a_bom_and_every_response_403(fixtures: Path) -> None:
    path = fixtures / "perf" / "autocannon__json-bom-all-403.json"
    data, ref = read_report(path)
    assert ref.format == "autocannon"
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    m = data.metrics
    assert m["perf.all.p50_ms"] == doc["latency"]["p50"]
    assert m["perf.all.p99_ms"] == doc["latency"]["p99"]
    assert m["perf.all.p97_5_ms"] == doc["latency"]["p97_5"]
    assert m["perf.all.avg_ms"] == doc["latency"]["average"]
    assert m["perf.all.rps"] == doc["requests"]["average"]
    # errors=0 yet every response was a 403: the error rate says so
    assert doc["errors"] == 0
    assert m["perf.all.error_rate"] == 100.0


def test_benchmarkdotnet_nanoseconds(fixtures: Path) -> None:
    path = fixtures / "perf" / "benchmarkdotnet__json.json"
    data, ref = read_report(path)
    assert ref.format == "benchmarkdotnet"
    m = data.metrics
    for bench in _json(path)["Benchmarks"]:
        s = bench["Statistics"]
        key = "perf.benchmarks_" + bench["Method"].lower()
        assert m[f"{key}.avg_ms"] == pytest.approx(s["Mean"] / 1e6)
        assert m[f"{key}.p50_ms"] == pytest.approx(s["Median"] / 1e6)
        assert m[f"{key}.p95_ms"] == pytest.approx(s["Percentiles"]["P95"] / 1e6)
        ordered = sorted(s["OriginalValues"])
        rank = max(1, int(len(ordered) * 0.99 + 0.5))
        assert m[f"{key}.p99_ms"] == pytest.approx(ordered[rank - 1] / 1e6)
