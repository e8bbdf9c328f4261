"""k6 end-of-test summaries: ``--summary-export`` JSON and the ``handleSummary()`` data object.

Both carry a ``metrics`` map. In the legacy ``--summary-export`` shape a metric's stats sit
directly in it (``{"avg": .., "med": .., "p(95)": ..}``); in the ``handleSummary`` shape they sit
under ``values`` beside ``type`` and ``contains``. Times are milliseconds in both.

* ``http_req_duration`` gives ``perf.all.*``; a sub-metric with a tag selector
  (``http_req_duration{name:login}``) gives the scenario ``login``; a selector of another tag
  becomes ``key_value`` (``{expected_response:true}`` -> ``expected_response_true``).
* ``http_reqs`` gives ``rps`` (its ``rate``) and ``requests`` (its ``count``).
* ``http_req_failed`` gives ``error_rate``: its rate is the fraction of *failed* requests (k6
  counts a failed request as a "pass" of this Rate metric). Without it (k6 < 0.31), the failure
  rate of ``checks`` stands in for ``perf.all.error_rate``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters._perf import ALL, ScenarioNames, as_number, load_json, percentile_key, put
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "K6Adapter", "read_k6"]

_SELECTOR = re.compile(r"^(?P<metric>[A-Za-z0-9_]+)(?:\{(?P<tags>.*)\})?$", re.DOTALL)
_PERCENTILE = re.compile(r"^p\((?P<p>[0-9.]+)\)$")
#: tags whose value alone names a scenario
_NAMING_TAGS = ("name", "scenario", "group")


def _scenario_of(tags: str) -> str:
    pairs = [t.split(":", 1) for t in tags.split(",") if t]
    if len(pairs) == 1 and len(pairs[0]) == 2 and pairs[0][0].strip() in _NAMING_TAGS:
        return pairs[0][1]
    return "_".join(":".join(p) for p in pairs).replace(":", "_")


def _values(path: Path, key: str, body: object) -> dict[str, Any]:
    """The stats of one metric in either shape."""
    if not isinstance(body, dict):
        raise InputError(
            f"{path}: metrics.{key}: expected an object of statistics, got {type(body).__name__}",
            slug="malformed-report",
        )
    values = body.get("values")
    if isinstance(values, dict):
        return values
    return body


def _trend(metrics: dict[str, float], scenario: str, stats: dict[str, Any]) -> None:
    put(metrics, scenario, "avg_ms", stats.get("avg"))
    put(metrics, scenario, "p50_ms", stats.get("med"))
    put(metrics, scenario, "min_ms", stats.get("min"))
    put(metrics, scenario, "max_ms", stats.get("max"))
    for key, value in stats.items():
        m = _PERCENTILE.match(key)
        if m:
            put(metrics, scenario, percentile_key(m["p"]), value)


def _rate(stats: dict[str, Any]) -> float | None:
    """A Rate metric's fraction: ``rate`` (handleSummary) or ``value`` (summary-export)."""
    rate = as_number(stats.get("rate"))
    if rate is None:
        rate = as_number(stats.get("value"))
    if rate is None:
        passes, fails = as_number(stats.get("passes")), as_number(stats.get("fails"))
        if passes is not None and fails is not None and passes + fails > 0:
            rate = passes / (passes + fails)
    return rate


def read_k6(path: Path) -> ReportData:
    """Read a k6 summary JSON into ``perf.*`` metrics."""
    doc = load_json(path, "k6 summary")
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise InputError(
            f"{path}: not a k6 summary: expected a JSON object with a 'metrics' object "
            "(k6 run --summary-export, or handleSummary's data)",
            slug="malformed-report",
        )
    names = ScenarioNames()
    metrics: dict[str, float] = {}
    checks_error: float | None = None
    failed_seen: set[str] = set()
    for key, body in doc["metrics"].items():
        m = _SELECTOR.match(key)
        if not m:
            continue
        stats = _values(path, key, body)
        scenario = ALL if m["tags"] is None else names(_scenario_of(m["tags"]))
        metric = m["metric"]
        if metric == "http_req_duration":
            _trend(metrics, scenario, stats)
        elif metric == "http_reqs":
            put(metrics, scenario, "rps", stats.get("rate"))
            put(metrics, scenario, "requests", stats.get("count"))
        elif metric == "http_req_failed":
            rate = _rate(stats)
            if rate is not None:
                metrics[f"perf.{scenario}.error_rate"] = rate * 100.0
                failed_seen.add(scenario)
        elif metric == "checks" and scenario == ALL:
            rate = _rate(stats)  # the fraction of checks that passed
            if rate is not None:
                checks_error = (1.0 - rate) * 100.0
    if ALL not in failed_seen and checks_error is not None and metrics:
        metrics[f"perf.{ALL}.error_rate"] = checks_error
    return ReportData(metrics=metrics)


class K6Adapter:
    name = "k6"
    kind = "perf"
    description = "k6 end-of-test summary JSON (--summary-export or handleSummary data)"

    def sniff(self, head: str, path: Path) -> int:
        if '"metrics"' not in head:
            return 0
        score = 0
        for marker in ('"http_req_duration', '"http_reqs"', '"iteration_duration"', '"vus_max"'):
            if marker in head:
                score += 30
        if '"root_group"' in head:
            score += 20
        return min(score, 95)

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_k6(path)


ADAPTERS = [K6Adapter()]
