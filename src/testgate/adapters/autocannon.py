"""autocannon's JSON result (``autocannon --json URL > result.json``, versions 4 to 8).

autocannon tests one URL, so everything is ``perf.all``:

* ``avg_ms``, ``min_ms``, ``max_ms``, ``stddev_ms`` and the percentiles from ``latency``
  (milliseconds; ``p50`` -> ``p50_ms``, ``p97_5`` -> ``p97_5_ms``, ``p99_9`` -> ``p99_9_ms``),
  autocannon's own HdrHistogram figures;
* ``rps`` is ``requests.average`` (responses per second), ``requests`` is ``requests.total``;
* ``failures`` = ``errors`` (connection errors and timeouts) + ``non2xx`` (responses with a status
  outside 2xx), and ``error_rate`` = failures / (responses + errors) * 100.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters._perf import ALL, as_number, load_json, percentile_key, put
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "AutocannonAdapter", "read_autocannon"]

_PERCENTILE = re.compile(r"^p(\d+(?:_\d+)?)$")


def read_autocannon(path: Path) -> ReportData:
    """Read autocannon's JSON result into ``perf.all.*`` metrics."""
    doc = load_json(path, "autocannon JSON result")
    latency = doc.get("latency") if isinstance(doc, dict) else None
    requests = doc.get("requests") if isinstance(doc, dict) else None
    if not isinstance(latency, dict) or not isinstance(requests, dict):
        raise InputError(
            f"{path}: not an autocannon result: expected 'latency' and 'requests' objects "
            "(autocannon --json)",
            slug="malformed-report",
        )
    metrics: dict[str, float] = {}
    put(metrics, ALL, "avg_ms", latency.get("average", latency.get("mean")))
    put(metrics, ALL, "min_ms", latency.get("min"))
    put(metrics, ALL, "max_ms", latency.get("max"))
    put(metrics, ALL, "stddev_ms", latency.get("stddev"))
    for key, value in latency.items():
        m = _PERCENTILE.match(key)
        if m:
            put(metrics, ALL, percentile_key(m[1].replace("_", ".")), value)
    put(metrics, ALL, "rps", requests.get("average", requests.get("mean")))
    total = as_number(requests.get("total"))
    put(metrics, ALL, "requests", total)
    errors, non2xx = _count(doc, "errors"), _count(doc, "non2xx")
    if total is not None and errors is not None and non2xx is not None:
        attempts = total + errors
        put(metrics, ALL, "failures", errors + non2xx)
        if attempts:
            put(metrics, ALL, "error_rate", (errors + non2xx) / attempts * 100.0)
    return ReportData(metrics=metrics)


def _count(doc: dict[str, Any], key: str) -> float | None:
    return as_number(doc.get(key))


class AutocannonAdapter:
    name = "autocannon"
    kind = "perf"
    description = "autocannon JSON result (autocannon --json)"

    def sniff(self, head: str, path: Path) -> int:
        if '"latency"' in head and '"requests"' in head and '"throughput"' in head:
            return 90 if '"non2xx"' in head or '"connections"' in head else 60
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_autocannon(path)


ADAPTERS = [AutocannonAdapter()]
