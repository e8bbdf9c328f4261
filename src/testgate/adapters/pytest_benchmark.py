"""pytest-benchmark JSON: ``--benchmark-json`` output and ``--benchmark-autosave`` storage files.

Every benchmark is a scenario named by its ``name`` (``test_fib[10]`` -> ``test_fib_10``); when
two benchmarks share a name (same test in two modules) their ``fullname`` is used instead. Stats
are seconds per iteration in the file and milliseconds in the metrics:

* ``p50_ms`` is the producer's ``median``, ``avg_ms`` its ``mean``, ``rps`` its ``ops``
  (operations per second; the 2.5 storage format has no ``ops``, so it is ``1 / mean``);
  ``min_ms``, ``max_ms``, ``stddev_ms``, ``rounds`` and ``iterations`` are kept as well.
* ``p95_ms`` and ``p99_ms`` exist only when the raw per-round samples were saved
  (``--benchmark-save-data``) and are complete; they are exact nearest-rank percentiles
  (see :mod:`testgate.adapters._quantiles`). A ``data`` list that was cut short (fewer numbers than
  ``rounds``, or a placeholder string in it) is ignored rather than trusted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from testgate.adapters._perf import ScenarioNames, as_number, load_json, put
from testgate.adapters._quantiles import percentile_of_sorted
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "PytestBenchmarkAdapter", "read_pytest_benchmark"]

_MS = 1000.0


def _ms(value: object) -> float | None:
    number = as_number(value)
    return None if number is None else number * _MS


def _samples(stats: dict[str, Any]) -> list[float] | None:
    data = stats.get("data")
    rounds = as_number(stats.get("rounds"))
    if not isinstance(data, list) or not data:
        return None
    numbers = [as_number(x) if not isinstance(x, str) else None for x in data]
    if any(x is None for x in numbers) or (rounds is not None and len(numbers) != rounds):
        return None
    return sorted(x for x in numbers if x is not None)


def read_pytest_benchmark(path: Path) -> ReportData:
    """Read a pytest-benchmark JSON file into ``perf.<benchmark>.*`` metrics."""
    doc = load_json(path, "pytest-benchmark JSON file")
    benches = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benches, list):
        raise InputError(
            f"{path}: not a pytest-benchmark file: expected a JSON object with a 'benchmarks' "
            "list (pytest --benchmark-json)",
            slug="malformed-report",
        )
    for i, bench in enumerate(benches):
        if not isinstance(bench, dict) or not isinstance(bench.get("stats"), dict):
            raise InputError(
                f"{path}: benchmarks[{i}]: expected an object with 'name' and 'stats'",
                slug="malformed-report",
            )
    raw_names = [
        str(b.get("name") or b.get("fullname") or f"benchmark_{i}") for i, b in enumerate(benches)
    ]
    names = ScenarioNames()
    metrics: dict[str, float] = {}
    repeated = Counter(raw_names)
    for bench, raw in zip(benches, raw_names, strict=True):
        if repeated[raw] > 1 and bench.get("fullname"):
            raw = str(bench["fullname"])
        scenario = names(raw)
        stats: dict[str, Any] = bench["stats"]
        put(metrics, scenario, "p50_ms", _ms(stats.get("median")))
        put(metrics, scenario, "avg_ms", _ms(stats.get("mean")))
        put(metrics, scenario, "min_ms", _ms(stats.get("min")))
        put(metrics, scenario, "max_ms", _ms(stats.get("max")))
        put(metrics, scenario, "stddev_ms", _ms(stats.get("stddev")))
        put(metrics, scenario, "rounds", stats.get("rounds"))
        put(metrics, scenario, "iterations", stats.get("iterations"))
        ops = as_number(stats.get("ops"))
        mean = as_number(stats.get("mean"))
        if ops is None and mean:
            ops = 1.0 / mean
        put(metrics, scenario, "rps", ops)
        samples = _samples(stats)
        if samples:
            put(metrics, scenario, "p95_ms", percentile_of_sorted(samples, 0.95) * _MS)
            put(metrics, scenario, "p99_ms", percentile_of_sorted(samples, 0.99) * _MS)
    return ReportData(metrics=metrics)


class PytestBenchmarkAdapter:
    name = "pytest-benchmark"
    kind = "perf"
    description = "pytest-benchmark JSON (--benchmark-json, autosave storage; 2.5 and later)"

    def sniff(self, head: str, path: Path) -> int:
        if '"benchmarks"' not in head:
            return 0
        if '"rounds"' not in head and '"machine_info"' not in head:
            return 0  # google-benchmark and others also write a "benchmarks" list
        score = 40
        for marker in ('"machine_info"', '"commit_info"', '"rounds"', '"stddev_outliers"'):
            if marker in head:
                score += 15
        return min(score, 95)

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_pytest_benchmark(path)


ADAPTERS = [PytestBenchmarkAdapter()]
