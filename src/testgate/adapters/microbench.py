"""Microbenchmark JSON of other languages: Google Benchmark (C++), JMH (Java), BenchmarkDotNet.

**Google Benchmark** (``--benchmark_format=json`` or ``--benchmark_out=x.json``): one scenario
per ``run_name``. ``avg_ms`` is the ``mean`` aggregate when repetitions were run, else the mean of
the runs' ``real_time`` (wall time per iteration, converted from ``time_unit``); ``p50_ms`` and
``stddev_ms`` come from the ``median`` and ``stddev`` aggregates only; ``cpu_ms`` is CPU time per
iteration; ``rps`` is iterations per second (``1000 / avg_ms``); ``items_per_s`` is kept when the
benchmark counts items; ``error_rate`` is the share of runs with ``error_occurred``.

**JMH** (``-rf json``): one scenario per benchmark, ``Class.method`` plus its ``params``
(``Bench.sort[size=10]`` -> ``bench_sort_size_10``). Throughput mode (``thrpt``) gives ``rps``
(the score in operations per second); time modes (``avgt``, ``sample``, ``ss``) give ``avg_ms``;
``sample`` mode also gives JMH's own latency percentiles (``p50_ms``, ``p90_ms``, ``p99_ms``,
...). Percentiles of the other modes describe iteration scores, not latencies, and are skipped.

**BenchmarkDotNet** (the JSON exporters, ``*-report-full.json`` and ``*-report-brief.json``): one
scenario per benchmark, ``Type.Method`` plus its ``Parameters``. ``Statistics`` are nanoseconds per
operation: ``avg_ms`` (Mean), ``p50_ms`` (Median), ``min_ms``, ``max_ms``, ``stddev_ms``, and
BenchmarkDotNet's own ``Percentiles`` (``P90`` -> ``p90_ms``, ``P95`` -> ``p95_ms``, ...);
``p99_ms`` is computed from ``OriginalValues`` (nearest rank) when they were exported. ``rps`` is
operations per second (``1000 / avg_ms``); ``alloc_bytes`` is bytes allocated per operation
(``Memory``, with ``[MemoryDiagnoser]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.adapters._perf import ScenarioNames, as_number, load_json, percentile_key, put, to_ms
from testgate.adapters._quantiles import percentile_of_sorted
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = [
    "ADAPTERS",
    "BenchmarkDotNetAdapter",
    "GoogleBenchmarkAdapter",
    "JmhAdapter",
    "read_benchmarkdotnet",
    "read_google_benchmark",
    "read_jmh",
]


def read_google_benchmark(path: Path) -> ReportData:
    """Read Google Benchmark JSON into ``perf.<benchmark>.*`` metrics."""
    doc = load_json(path, "Google Benchmark JSON")
    benches = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benches, list):
        raise InputError(
            f"{path}: not Google Benchmark output: expected an object with a 'benchmarks' list",
            slug="malformed-report",
        )
    runs: dict[str, list[dict[str, Any]]] = {}
    aggregates: dict[str, dict[str, dict[str, Any]]] = {}
    for i, bench in enumerate(benches):
        if not isinstance(bench, dict) or "name" not in bench:
            raise InputError(
                f"{path}: benchmarks[{i}]: expected an object with a 'name'",
                slug="malformed-report",
            )
        run = str(bench.get("run_name") or bench["name"])
        if bench.get("run_type") == "aggregate":
            aggregates.setdefault(run, {})[str(bench.get("aggregate_name"))] = bench
        else:
            runs.setdefault(run, []).append(bench)
    names = ScenarioNames()
    metrics: dict[str, float] = {}

    def ms(bench: dict[str, Any], key: str = "real_time") -> float | None:
        return to_ms(bench.get(key), str(bench.get("time_unit", "ns")))

    for run in list(runs) + [r for r in aggregates if r not in runs]:
        scenario = names(run)
        reps = runs.get(run, [])
        aggs = aggregates.get(run, {})
        ok = [b for b in reps if not b.get("error_occurred")]
        avg = ms(aggs["mean"]) if "mean" in aggs else None
        if avg is None and ok:
            times = [t for t in (ms(b) for b in ok) if t is not None]
            avg = sum(times) / len(times) if times else None
        put(metrics, scenario, "avg_ms", avg)
        if avg:
            put(metrics, scenario, "rps", 1000.0 / avg)
        if "median" in aggs:
            put(metrics, scenario, "p50_ms", ms(aggs["median"]))
        if "stddev" in aggs:
            put(metrics, scenario, "stddev_ms", ms(aggs["stddev"]))
        cpu_source = [aggs["mean"]] if "mean" in aggs else ok
        cpu = [t for t in (ms(b, "cpu_time") for b in cpu_source) if t is not None]
        if cpu:
            put(metrics, scenario, "cpu_ms", sum(cpu) / len(cpu))
        items = [as_number(b.get("items_per_second")) for b in ok]
        if items and all(x is not None for x in items):
            put(metrics, scenario, "items_per_s", sum(x or 0.0 for x in items) / len(items))
        if reps:
            put(
                metrics,
                scenario,
                "iterations",
                sum(as_number(b.get("iterations")) or 0 for b in reps),
            )
            put(metrics, scenario, "error_rate", (len(reps) - len(ok)) / len(reps) * 100.0)
    return ReportData(metrics=metrics)


def _jmh_name(bench: dict[str, Any]) -> str:
    parts = str(bench.get("benchmark", "")).split(".")
    name = ".".join(parts[-2:])
    params = bench.get("params")
    if isinstance(params, dict) and params:
        name += "[" + ",".join(f"{k}={v}" for k, v in params.items()) + "]"
    return name


def _ops_per_second(score: float, unit: str) -> float | None:
    """A throughput in ``ops/<time unit>`` as operations per second."""
    ops, _, per = unit.partition("/")
    ms_per_unit = to_ms(1.0, per)
    if ops.strip() != "ops" or ms_per_unit is None:
        return None
    return score * 1000.0 / ms_per_unit


def read_jmh(path: Path) -> ReportData:
    """Read JMH's JSON result file into ``perf.<benchmark>.*`` metrics."""
    doc = load_json(path, "JMH JSON result")
    if not isinstance(doc, list):
        raise InputError(
            f"{path}: not a JMH result: expected a JSON list of benchmarks (-rf json)",
            slug="malformed-report",
        )
    names = ScenarioNames()
    metrics: dict[str, float] = {}
    for i, bench in enumerate(doc):
        primary = bench.get("primaryMetric") if isinstance(bench, dict) else None
        if not isinstance(primary, dict):
            raise InputError(
                f"{path}: [{i}]: expected a benchmark with a 'primaryMetric' object",
                slug="malformed-report",
            )
        scenario = names(_jmh_name(bench))
        score = as_number(primary.get("score"))
        unit = str(primary.get("scoreUnit", ""))
        mode = bench.get("mode")
        if score is None:
            continue
        if mode == "thrpt":
            put(metrics, scenario, "rps", _ops_per_second(score, unit))
        else:
            per_op = unit.split("/")[0]
            put(metrics, scenario, "avg_ms", to_ms(score, per_op))
            percentiles = primary.get("scorePercentiles")
            if mode == "sample" and isinstance(percentiles, dict):
                for p, value in percentiles.items():
                    if as_number(p) not in (0.0, 100.0):
                        put(metrics, scenario, percentile_key(p), to_ms(value, per_op))
    return ReportData(metrics=metrics)


def read_benchmarkdotnet(path: Path) -> ReportData:
    """Read BenchmarkDotNet's JSON export into ``perf.<benchmark>.*`` metrics."""
    doc = load_json(path, "BenchmarkDotNet JSON report")
    benches = doc.get("Benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benches, list):
        raise InputError(
            f"{path}: not a BenchmarkDotNet report: expected an object with a 'Benchmarks' list "
            "(the JSON exporter)",
            slug="malformed-report",
        )
    names = ScenarioNames()
    metrics: dict[str, float] = {}
    for i, bench in enumerate(benches):
        stats = bench.get("Statistics") if isinstance(bench, dict) else None
        if not isinstance(bench, dict):
            raise InputError(f"{path}: Benchmarks[{i}]: expected an object")
        raw = f"{bench.get('Type', '')}.{bench.get('Method', '')}".strip(".")
        raw = raw or str(bench.get("FullName") or f"benchmark_{i}")
        if bench.get("Parameters"):
            raw += f"[{bench['Parameters']}]"
        scenario = names(raw)
        if not isinstance(stats, dict):
            continue  # a benchmark that failed to run has no statistics
        put(metrics, scenario, "avg_ms", to_ms(stats.get("Mean"), "ns"))
        put(metrics, scenario, "p50_ms", to_ms(stats.get("Median"), "ns"))
        put(metrics, scenario, "min_ms", to_ms(stats.get("Min"), "ns"))
        put(metrics, scenario, "max_ms", to_ms(stats.get("Max"), "ns"))
        put(metrics, scenario, "stddev_ms", to_ms(stats.get("StandardDeviation"), "ns"))
        percentiles = stats.get("Percentiles")
        if isinstance(percentiles, dict):
            for key, value in percentiles.items():
                if key.startswith("P") and key[1:] not in ("0", "50"):
                    put(metrics, scenario, percentile_key(key[1:]), to_ms(value, "ns"))
        values = stats.get("OriginalValues")
        if isinstance(values, list) and values and all(as_number(v) is not None for v in values):
            ordered = sorted(float(v) for v in values)
            put(metrics, scenario, "p99_ms", to_ms(percentile_of_sorted(ordered, 0.99), "ns"))
        mean = to_ms(stats.get("Mean"), "ns")
        if mean:
            put(metrics, scenario, "rps", 1000.0 / mean)
        memory = bench.get("Memory")
        if isinstance(memory, dict):
            put(metrics, scenario, "alloc_bytes", memory.get("BytesAllocatedPerOperation"))
    return ReportData(metrics=metrics)


class GoogleBenchmarkAdapter:
    name = "google-benchmark"
    kind = "perf"
    description = "Google Benchmark JSON (--benchmark_format=json)"

    def sniff(self, head: str, path: Path) -> int:
        if '"benchmarks"' in head and '"context"' in head and '"time_unit"' in head:
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_google_benchmark(path)


class JmhAdapter:
    name = "jmh"
    kind = "perf"
    description = "JMH JSON results (-rf json)"

    def sniff(self, head: str, path: Path) -> int:
        if head.lstrip("\ufeff \t\r\n").startswith("[") and '"jmhVersion"' in head:
            return 95
        if '"primaryMetric"' in head and '"benchmark"' in head:
            return 80
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_jmh(path)


class BenchmarkDotNetAdapter:
    name = "benchmarkdotnet"
    kind = "perf"
    description = "BenchmarkDotNet JSON report (JSON exporters)"

    def sniff(self, head: str, path: Path) -> int:
        if '"Benchmarks"' in head and (
            '"BenchmarkDotNetVersion"' in head or '"Statistics"' in head
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_benchmarkdotnet(path)


ADAPTERS = [GoogleBenchmarkAdapter(), JmhAdapter(), BenchmarkDotNetAdapter()]
