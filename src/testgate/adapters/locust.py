"""Locust ``--csv`` output: ``*_stats.csv``, ``*_stats_history.csv``, failures and exceptions.

* **stats**: one row per request (``Type``, ``Name``); the ``Aggregated`` row (``Total`` before
  Locust 1.0) gives ``perf.all``. ``p50_ms``/``p95_ms``/``p99_ms`` and the other percentile
  columns are Locust's own (it rounds them to two significant digits), ``avg_ms`` is
  ``Average Response Time``, ``rps`` is ``Requests/s``, ``error_rate`` is
  ``Failure Count / Request Count * 100``; ``min_ms``, ``max_ms``, ``requests``, ``failures`` and
  ``failures_per_s`` are kept too. Column names of Locust 0.x (``# requests``) and 1.x are
  understood; ``N/A`` cells are absent metrics.
* **stats history**: the last row of each name holds the cumulative ``Total ...`` columns:
  ``p50_ms`` (``Total Median Response Time``), ``avg_ms``, ``min_ms``, ``max_ms``, ``requests``,
  ``error_rate``; ``rps`` is the total count over the time the history spans. Its percentile
  columns describe only the last few seconds, so ``p95_ms``/``p99_ms`` are not taken from it.
* **failures** and **exceptions** CSVs are recognised and read (so a glob of Locust's files can
  be ingested) but hold no timing: they yield no metrics.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from testgate.adapters._perf import ALL, ScenarioNames, as_number, iter_csv, percentile_key, put
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "LocustAdapter", "read_locust"]

_WHAT = "Locust CSV (--csv)"
_PERCENT = re.compile(r"^(?P<p>[0-9.]+)%$")
_AGGREGATE_NAMES = ("aggregated", "total")

#: normalised header -> our field; Locust 0.x, 1.x and 2.x spellings
_ALIASES = {
    "type": "type",
    "method": "type",
    "name": "name",
    "request count": "count",
    "requests": "count",
    "failure count": "failures",
    "failures": "failures",
    "median response time": "median",
    "average response time": "avg",
    "min response time": "min",
    "max response time": "max",
    "requests/s": "rps",
    "failures/s": "fps",
    "timestamp": "timestamp",
    "total request count": "total_count",
    "total failure count": "total_failures",
    "total median response time": "total_median",
    "total average response time": "total_avg",
    "total min response time": "total_min",
    "total max response time": "total_max",
}


def _norm(header: str) -> str:
    return " ".join(header.replace("#", " ").split()).lower()


def _kind(fields: list[str]) -> str | None:
    """Which Locust CSV a header row belongs to, or None."""
    norm = {_norm(f) for f in fields}
    if {"count", "message", "traceback"} <= norm:
        return "exceptions"
    if {"method", "name", "error", "occurrences"} <= norm:
        return "failures"
    if "name" in norm and "timestamp" in norm and "total request count" in norm:
        return "history"
    if "name" in norm and ({"request count", "requests"} & norm) and "requests/s" in norm:
        return "stats"
    return None


def _first_record(path: Path) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]]:
    rows = iter_csv(path, _WHAT)
    line, header = next(rows)
    return line, header, rows


def read_locust(path: Path) -> ReportData:
    """Read one of Locust's CSV files into ``perf.*`` metrics."""
    line, header, rows = _first_record(path)
    kind = _kind(header)
    if kind is None:
        raise InputError(
            f"{path}:{line}: not a Locust CSV header (expected Type,Name,Request Count,... for "
            "stats, or the stats_history, failures or exceptions header)",
            slug="malformed-report",
        )
    if kind in ("failures", "exceptions"):
        for _ in rows:  # read to the end so a truncated or malformed file still fails loudly
            pass
        return ReportData()
    cols = {_ALIASES.get(_norm(h), _norm(h)): i for i, h in enumerate(header)}
    percentiles = {
        percentile_key(m["p"]): i for i, h in enumerate(header) if (m := _PERCENT.match(h.strip()))
    }
    last: dict[tuple[str, str], list[str]] = {}
    first_ts: float | None = None
    for line, row in rows:
        if len(row) < len(header):
            raise InputError(
                f"{path}:{line}: row has {len(row)} fields, the header has {len(header)} "
                "(truncated file?)",
                slug="malformed-report",
            )
        key = (row[cols["type"]] if "type" in cols else "", row[cols["name"]])
        if kind == "history" and first_ts is None:
            first_ts = as_number(row[cols["timestamp"]])
        last[key] = row  # history: the last row per name is the cumulative one
    names = ScenarioNames()
    metrics: dict[str, float] = {}
    methods_of: dict[str, int] = {}
    for _type, name in last:
        methods_of[name] = methods_of.get(name, 0) + 1
    for (rtype, name), row in last.items():
        if name.strip().lower() in _AGGREGATE_NAMES and rtype.strip() in ("", "None"):
            scenario = ALL
        else:
            # the same name under two methods (GET /x, POST /x) keeps both apart
            scenario = names(f"{rtype} {name}" if methods_of[name] > 1 else name)

        def cell(field: str, row: list[str] = row) -> str | None:
            i = cols.get(field)
            return row[i] if i is not None else None

        if kind == "stats":
            count, failures = as_number(cell("count")), as_number(cell("failures"))
            median = cell("median")
            put(metrics, scenario, "avg_ms", cell("avg"))
            put(metrics, scenario, "min_ms", cell("min"))
            put(metrics, scenario, "max_ms", cell("max"))
            put(metrics, scenario, "rps", cell("rps"))
            put(metrics, scenario, "failures_per_s", cell("fps"))
            for stat, i in percentiles.items():
                put(metrics, scenario, stat, row[i])
            if f"perf.{scenario}.p50_ms" not in metrics:
                put(metrics, scenario, "p50_ms", median)
        else:
            count, failures = as_number(cell("total_count")), as_number(cell("total_failures"))
            put(metrics, scenario, "p50_ms", cell("total_median"))
            put(metrics, scenario, "avg_ms", cell("total_avg"))
            put(metrics, scenario, "min_ms", cell("total_min"))
            put(metrics, scenario, "max_ms", cell("total_max"))
            end = as_number(cell("timestamp"))
            if count and first_ts is not None and end is not None and end > first_ts:
                put(metrics, scenario, "rps", count / (end - first_ts))
        put(metrics, scenario, "requests", count)
        put(metrics, scenario, "failures", failures)
        if count and failures is not None:
            put(metrics, scenario, "error_rate", failures / count * 100.0)
    return ReportData(metrics=metrics)


class LocustAdapter:
    name = "locust"
    kind = "perf"
    description = "Locust --csv output (stats, stats_history; failures/exceptions recognised)"

    def sniff(self, head: str, path: Path) -> int:
        for text in head.splitlines():
            if text.strip():
                try:
                    fields = next(csv.reader([text]))
                except csv.Error:
                    return 0
                return 90 if _kind(fields) else 0
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_locust(path)


ADAPTERS = [LocustAdapter()]
