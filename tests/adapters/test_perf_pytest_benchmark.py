"""pytest-benchmark JSON: samples from the corpus and a real pytest-benchmark run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testgate.adapters.registry import read_report
from testgate.errors import InputError


def _benches(path: Path) -> list[dict[str, Any]]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return list(doc["benchmarks"])


def _jmeter_rank(values: list[float], p: float) -> float:
    """JMeter's percentile, written out as its Java loop does (independent of testgate's)."""
    ordered = sorted(values)
    target = math.floor(len(ordered) * p + 0.5)
    for v in ordered:
        target -= 1
        if target <= 0:
            return v
    return ordered[-1]


def test_v3_stats_in_seconds_become_milliseconds(fixtures: Path) -> None:
    path = fixtures / "perf" / "pytest-benchmark__v3.2-several-units.json"
    data, ref = read_report(path)
    assert ref.format == "pytest-benchmark"
    m = data.metrics
    for bench in _benches(path):
        s = bench["stats"]
        key = "perf." + bench["name"]
        assert m[f"{key}.p50_ms"] == pytest.approx(s["median"] * 1000, rel=1e-12)
        assert m[f"{key}.avg_ms"] == pytest.approx(s["mean"] * 1000, rel=1e-12)
        assert m[f"{key}.min_ms"] == pytest.approx(s["min"] * 1000, rel=1e-12)
        assert m[f"{key}.max_ms"] == pytest.approx(s["max"] * 1000, rel=1e-12)
        assert m[f"{key}.rps"] == s["ops"]
        assert m[f"{key}.rounds"] == s["rounds"]
        assert "perf.all.p50_ms" not in m  # pytest-benchmark has no global figure


def test_truncated_data_is_not_trusted_for_percentiles(fixtures: Path) -> None:
    """Most 'data' lists here were cut short with a placeholder string: no p95 from them."""
    path = fixtures / "perf" / "pytest-benchmark__v3.2-several-units.json"
    data, _ = read_report(path)
    assert "perf.test_fib_10.p95_ms" not in data.metrics
    # test_sleep_2 kept all its 5 rounds: exact nearest-rank percentiles from them
    sleep = next(b for b in _benches(path) if b["name"] == "test_sleep_2")["stats"]
    assert len(sleep["data"]) == sleep["rounds"]
    assert data.metrics["perf.test_sleep_2.p95_ms"] == pytest.approx(
        _jmeter_rank(sleep["data"], 0.95) * 1000
    )
    truncated, _ = read_report(fixtures / "perf" / "pytest-benchmark__v3-data-truncated.json")
    assert not any(k.endswith((".p95_ms", ".p99_ms")) for k in truncated.metrics)


def test_legacy_v2_5_storage(fixtures: Path) -> None:
    path = fixtures / "perf" / "pytest-benchmark__v2.5-legacy-storage.json"
    data, ref = read_report(path)
    assert ref.format == "pytest-benchmark"
    s = _benches(path)[0]["stats"]
    m = data.metrics
    assert m["perf.test_xfast_parametrized_0.p50_ms"] == pytest.approx(s["median"] * 1000)
    # 2.5 has no "ops": derived from the mean
    assert m["perf.test_xfast_parametrized_0.rps"] == pytest.approx(1 / s["mean"])


def test_google_benchmark_is_not_mistaken_for_pytest_benchmark(fixtures: Path) -> None:
    from testgate.adapters.pytest_benchmark import PytestBenchmarkAdapter

    head = (fixtures / "perf" / "google-benchmark__json.json").read_text()
    assert PytestBenchmarkAdapter().sniff(head, Path("x.json")) == 0


def test_same_name_in_two_modules_uses_fullname(tmp_path: Path) -> None:
    stats = {"median": 0.001, "mean": 0.001, "rounds": 3}
    doc = {
        "machine_info": {},
        "benchmarks": [
            {"name": "test_a", "fullname": "x.py::test_a", "stats": stats},
            {"name": "test_a", "fullname": "y.py::test_a", "stats": stats},
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    data, _ = read_report(path)
    assert data.metrics["perf.x_py_test_a.p50_ms"] == 1.0
    assert data.metrics["perf.y_py_test_a.p50_ms"] == 1.0


def test_malformed_files_are_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"benchmarks": [\n  {"name": "x", "stats": 3}\n]}')
    with pytest.raises(InputError, match=r"bad\.json: benchmarks\[0\]"):
        read_report(bad, format="pytest-benchmark")
    cut = tmp_path / "cut.json"
    cut.write_text('{"machine_info": {},\n"benchmarks": [\n  {"name": "x", "st')
    with pytest.raises(InputError, match=r"cut\.json:3: not valid JSON"):
        read_report(cut, format="pytest-benchmark")


BENCH = """
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def test_fib(benchmark):
    benchmark(fib, 12)

def test_sum(benchmark):
    benchmark(sum, range(500))
"""


def test_a_real_pytest_benchmark_run(tmp_path: Path) -> None:
    """Run pytest-benchmark for real and compare with the JSON it wrote."""
    (tmp_path / "test_bench.py").write_text(BENCH)
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            f"--benchmark-json={out}",
            "--benchmark-save-data",
            "--benchmark-min-rounds=20",
            "--benchmark-max-time=0.05",
            "--benchmark-disable-gc",
            "test_bench.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data, ref = read_report(out)
    assert ref.format == "pytest-benchmark"
    for bench in _benches(out):
        s = bench["stats"]
        key = f"perf.{bench['name']}"
        assert data.metrics[f"{key}.p50_ms"] == pytest.approx(s["median"] * 1000, rel=1e-12)
        assert data.metrics[f"{key}.rps"] == s["ops"]
        assert len(s["data"]) == s["rounds"] >= 20
        assert data.metrics[f"{key}.p95_ms"] == pytest.approx(
            _jmeter_rank(s["data"], 0.95) * 1000, rel=1e-12
        )
        assert data.metrics[f"{key}.p99_ms"] == pytest.approx(
            _jmeter_rank(s["data"], 0.99) * 1000, rel=1e-12
        )
        assert s["min"] * 1000 <= data.metrics[f"{key}.p95_ms"] <= s["max"] * 1000
