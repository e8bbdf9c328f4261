"""Gatling report data: ``js/global_stats.json`` and the request tree ``js/stats.json``.

Each stats block has ``{total, ok, ko}`` triples in milliseconds; testgate reads ``total``.
``percentiles1`` to ``percentiles4`` are the percentiles Gatling was configured for, by default
50, 75, 95 and 99 (``gatling.charting.indicators.percentile1..4``), so they become ``p50_ms``,
``p75_ms``, ``p95_ms`` and ``p99_ms``. Gatling writes ``"-"`` for a figure it has not got;
that figure is absent.

* ``global_stats.json`` (root name ``Global Information``, ``All Requests`` in 3.9) gives
  ``perf.all``;
* ``stats.json`` gives ``perf.all`` from its root and one scenario per request or group below it,
  named by its ``path`` (``Group / Request`` for a request inside a group).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.adapters._perf import ALL, ScenarioNames, as_number, load_json, put
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "GatlingAdapter", "read_gatling"]

#: Gatling's default indicator percentiles
_PERCENTILES = (
    ("percentiles1", "p50_ms"),
    ("percentiles2", "p75_ms"),
    ("percentiles3", "p95_ms"),
    ("percentiles4", "p99_ms"),
)


def _total(stats: dict[str, Any], key: str) -> float | None:
    triple = stats.get(key)
    return as_number(triple.get("total")) if isinstance(triple, dict) else None


def _stats(metrics: dict[str, float], scenario: str, stats: dict[str, Any]) -> None:
    put(metrics, scenario, "avg_ms", _total(stats, "meanResponseTime"))
    put(metrics, scenario, "min_ms", _total(stats, "minResponseTime"))
    put(metrics, scenario, "max_ms", _total(stats, "maxResponseTime"))
    put(metrics, scenario, "stddev_ms", _total(stats, "standardDeviation"))
    for key, stat in _PERCENTILES:
        put(metrics, scenario, stat, _total(stats, key))
    put(metrics, scenario, "rps", _total(stats, "meanNumberOfRequestsPerSecond"))
    requests = stats.get("numberOfRequests")
    if isinstance(requests, dict):
        total, ko = as_number(requests.get("total")), as_number(requests.get("ko"))
        put(metrics, scenario, "requests", total)
        put(metrics, scenario, "failures", ko)
        if total and ko is not None:
            put(metrics, scenario, "error_rate", ko / total * 100.0)


def _walk(
    metrics: dict[str, float], names: ScenarioNames, contents: object, depth: int = 0
) -> None:
    if not isinstance(contents, dict) or depth > 50:
        return
    for node in contents.values():
        if not isinstance(node, dict):
            continue
        stats = node.get("stats")
        if isinstance(stats, dict):
            label = str(node.get("path") or node.get("name") or stats.get("name") or "")
            _stats(metrics, names(label), stats)
        _walk(metrics, names, node.get("contents"), depth + 1)


def read_gatling(path: Path) -> ReportData:
    """Read a Gatling ``global_stats.json`` or ``stats.json`` into ``perf.*`` metrics."""
    doc = load_json(path, "Gatling stats JSON")
    if not isinstance(doc, dict):
        raise InputError(
            f"{path}: not Gatling stats: expected a JSON object (js/global_stats.json or "
            "js/stats.json of a Gatling report)",
            slug="malformed-report",
        )
    metrics: dict[str, float] = {}
    if isinstance(doc.get("stats"), dict):  # stats.json: a tree of groups and requests
        _stats(metrics, ALL, doc["stats"])
        _walk(metrics, ScenarioNames(), doc.get("contents"))
    elif isinstance(doc.get("numberOfRequests"), dict):
        _stats(metrics, ALL, doc)
    else:
        raise InputError(
            f"{path}: not Gatling stats: no 'numberOfRequests' or 'stats' object",
            slug="malformed-report",
        )
    return ReportData(metrics=metrics)


class GatlingAdapter:
    name = "gatling"
    kind = "perf"
    description = "Gatling report data (js/global_stats.json, js/stats.json)"

    def sniff(self, head: str, path: Path) -> int:
        if '"numberOfRequests"' in head and '"meanResponseTime"' in head:
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_gatling(path)


ADAPTERS = [GatlingAdapter()]
