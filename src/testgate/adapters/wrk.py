"""wrk's text summary (what ``wrk`` prints, saved to a file), with or without ``--latency``.

wrk tests one URL, so everything is ``perf.all``:

* ``avg_ms``, ``max_ms``, ``stddev_ms`` from the ``Latency`` thread-stats row (each value carries
  its own unit: ``us``, ``ms``, ``s``, ``m``);
* ``p50_ms``, ``p75_ms``, ``p90_ms``, ``p99_ms`` from the ``Latency Distribution`` block
  (``--latency`` only), wrk's own HdrHistogram percentiles;
* ``rps`` from ``Requests/sec``, ``requests`` from ``N requests in T``;
* ``error_rate`` = (``Non-2xx or 3xx responses`` + socket errors) / requests * 100. wrk prints
  those lines only when they are not zero, so their absence is a measured 0%.
"""

from __future__ import annotations

import re
from pathlib import Path

from testgate.adapters._perf import ALL, percentile_key, put, to_ms
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "WrkAdapter", "read_wrk"]

_DURATION = r"([0-9.]+)\s*(us|µs|ms|s|m|h)"
_LATENCY = re.compile(rf"^\s*Latency\s+{_DURATION}\s+{_DURATION}\s+{_DURATION}")
_PERCENTILE = re.compile(rf"^\s*([0-9.]+)%\s+{_DURATION}\s*$")
_REQUESTS = re.compile(r"^\s*(\d+) requests in ")
_RPS = re.compile(r"^\s*Requests/sec:\s*([0-9.]+)")
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s*(\d+)")
_SOCKET = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.IGNORECASE
)


def read_wrk(path: Path) -> ReportData:
    """Read wrk's printed summary into ``perf.all.*`` metrics."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    if not text.strip():
        raise InputError(f"{path}:1: report is empty (expected wrk output)", slug="empty-report")
    metrics: dict[str, float] = {}
    errors = 0
    in_distribution = False
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _LATENCY.match(line):
            put(metrics, ALL, "avg_ms", to_ms(m[1], m[2]))
            put(metrics, ALL, "stddev_ms", to_ms(m[3], m[4]))
            put(metrics, ALL, "max_ms", to_ms(m[5], m[6]))
        elif line.strip() == "Latency Distribution":
            in_distribution = True
        elif in_distribution and (m := _PERCENTILE.match(line)):
            put(metrics, ALL, percentile_key(m[1]), to_ms(m[2], m[3]))
        elif m := _REQUESTS.match(line):
            in_distribution = False
            put(metrics, ALL, "requests", int(m[1]))
        elif m := _RPS.match(line):
            put(metrics, ALL, "rps", m[1])
        elif m := _NON_2XX.match(line):
            errors += int(m[1])
        elif m := _SOCKET.match(line):
            errors += sum(int(g) for g in m.groups())
        elif line.lstrip().startswith(("Latency ", "Requests/sec")):
            raise InputError(
                f"{path}:{number}: cannot read wrk's line {line.strip()!r}",
                slug="malformed-report",
            )
    if "perf.all.rps" not in metrics and "perf.all.avg_ms" not in metrics:
        raise InputError(
            f"{path}: not wrk output (no 'Latency' or 'Requests/sec:' line; truncated?)",
            slug="malformed-report",
        )
    requests = metrics.get("perf.all.requests")
    if requests:
        put(metrics, ALL, "failures", errors)
        put(metrics, ALL, "error_rate", errors / requests * 100.0)
    return ReportData(metrics=metrics)


class WrkAdapter:
    name = "wrk"
    kind = "perf"
    description = "wrk's printed summary (text), with or without --latency"

    def sniff(self, head: str, path: Path) -> int:
        if "Thread Stats" in head and ("Requests/sec:" in head or "Latency" in head):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_wrk(path)


ADAPTERS = [WrkAdapter()]
