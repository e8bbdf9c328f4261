"""Apache JMeter result files (JTL): CSV with or without a header, and XML.

A JTL holds one record per sample, so everything is computed from the raw samples, streamed (a
5-million-sample file is never held in memory), the way JMeter's Aggregate Report does:

* per label (``perf.<label>``) and for the whole file (``perf.all``): ``requests``,
  ``failures``, ``avg_ms``, ``min_ms``, ``max_ms``, ``p50_ms``, ``p90_ms``, ``p95_ms``,
  ``p99_ms``, ``rps`` and ``error_rate``;
* percentiles use JMeter's definition (nearest rank ``round(n * p)``; see
  :mod:`testgate.adapters._quantiles`), exact while the distinct elapsed values fit the budget,
  within 1% relative error beyond;
* ``rps`` = samples / (last sample end - first sample start), with ``timeStamp`` the sample's
  start (JMeter's default since 2.1, ``sampleresult.timestamp.start=true``);
* ``error_rate`` = failed samples / samples * 100, a sample failing when ``success`` is false
  (XML: ``s="false"`` or a failed ``<assertionResult>``).

Sub-results (a redirect's ``HTTP Request-0``, ``-1``) are not counted twice: in XML they are
nested inside their parent sample; in CSV they follow their parent as rows labelled
``<parent>-<n>`` from the same thread and inside the parent's time span, and are skipped.

A CSV without a header is read in JMeter's default column order (timeStamp, elapsed, label,
responseCode, responseMessage, threadName, dataType, success, ...). ``timeStamp`` may be epoch
milliseconds or a formatted date (``jmeter.save.saveservice.timestamp_format``).
"""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from testgate.adapters._perf import ALL, ScenarioNames, csv_problem, put
from testgate.adapters._quantiles import Budget, QuantileAccumulator
from testgate.adapters._xml import iterparse, local
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import ReportData

__all__ = ["ADAPTERS", "JMeterAdapter", "SampleStats", "read_jtl"]

#: JMeter's default CSV columns, in the order it writes them (SampleSaveConfiguration)
DEFAULT_COLUMNS = (
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
)
_WHAT = "JMeter JTL"
_SUB = re.compile(r"^(?P<base>.*)-\d+$", re.DOTALL)
_NO_HEADER = re.compile(r"^\s*(\d{9,}|\d{4}[-/.]\d\d[-/.]\d\d[ T]\d\d:\d\d[:0-9.,]*)\s*,\s*\d+\s*,")
_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f%z",
)
_PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p95_ms", 0.95), ("p99_ms", 0.99))


class SampleStats:
    """Running statistics of one label; :meth:`merged` sums labels into the all-samples figure."""

    __slots__ = ("count", "end", "errors", "q", "start", "total")

    def __init__(self, q: QuantileAccumulator) -> None:
        self.count = 0
        self.errors = 0
        self.total = 0.0
        self.start = math.inf
        self.end = -math.inf
        self.q = q

    def add(self, elapsed: float, start: float | None, ok: bool) -> None:
        self.count += 1
        self.total += elapsed
        if not ok:
            self.errors += 1
        self.q.add(elapsed)
        if start is not None:
            if start < self.start:
                self.start = start
            if start + elapsed > self.end:
                self.end = start + elapsed

    @classmethod
    def merged(cls, parts: list[SampleStats]) -> SampleStats:
        total = cls(QuantileAccumulator.merged(p.q for p in parts))
        for part in parts:
            total.count += part.count
            total.errors += part.errors
            total.total += part.total
            total.start = min(total.start, part.start)
            total.end = max(total.end, part.end)
        return total

    def to_metrics(self, metrics: dict[str, float], scenario: str, *, outcomes: bool) -> None:
        if not self.count:
            return
        put(metrics, scenario, "requests", self.count)
        put(metrics, scenario, "avg_ms", self.total / self.count)
        put(metrics, scenario, "min_ms", self.q.min)
        put(metrics, scenario, "max_ms", self.q.max)
        for stat, p in _PERCENTILES:
            put(metrics, scenario, stat, self.q.quantile(p))
        if self.end > self.start:
            put(metrics, scenario, "rps", self.count * 1000.0 / (self.end - self.start))
        if outcomes:  # a JTL saved without its success column cannot say what failed
            put(metrics, scenario, "failures", self.errors)
            put(metrics, scenario, "error_rate", self.errors / self.count * 100.0)


class _Collector:
    """Samples by label, sharing one exact-percentile budget; the all-samples total at the end."""

    def __init__(self, exact_limit: int | None) -> None:
        self.budget = Budget() if exact_limit is None else Budget(exact_limit)
        self.labels: dict[str, SampleStats] = {}
        self.count = 0
        #: whether the file records each sample's success (a CSV may leave the column out)
        self.outcomes = True

    def stats(self, label: str) -> SampleStats:
        stats = self.labels.get(label)
        if stats is None:
            stats = self.labels[label] = SampleStats(QuantileAccumulator(self.budget))
        return stats

    def add(self, label: str, elapsed: float, start: float | None, ok: bool) -> None:
        self.stats(label).add(elapsed, start, ok)
        self.count += 1

    def report(self) -> ReportData:
        metrics: dict[str, float] = {}
        names = ScenarioNames()
        total = SampleStats.merged(list(self.labels.values()))
        total.to_metrics(metrics, ALL, outcomes=self.outcomes)
        for label, stats in self.labels.items():
            stats.to_metrics(metrics, names(label), outcomes=self.outcomes)
        return ReportData(metrics=metrics)


class _Timestamps:
    """Parses ``timeStamp`` cells: epoch ms fast, a formatted date by the first format that fits."""

    def __init__(self) -> None:
        self._fmt: str | None = None

    def __call__(self, text: str) -> float | None:
        try:
            return float(int(text))
        except ValueError:
            pass
        text = text.strip()
        for fmt in ((self._fmt,) if self._fmt else ()) + _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self._fmt = fmt
            return _epoch_ms(moment)
        try:
            return _epoch_ms(datetime.fromisoformat(text))
        except ValueError:
            return None  # only rps needs times: it will be absent, the rest stands


def _epoch_ms(moment: datetime) -> float:
    if moment.tzinfo is None:  # only differences matter; read a naive time as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp() * 1000.0


def _column(header: list[str], name: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return lowered.index(name.lower()) if name.lower() in lowered else None


def _required(path: Path, line: int, header: list[str], name: str) -> int:
    index = _column(header, name)
    if index is None:
        raise InputError(
            f"{path}:{line}: the JTL header has no {name!r} column (found: {', '.join(header)})",
            slug="malformed-report",
        )
    return index


def _bad(path: Path, line: int, what: str, value: str) -> InputError:
    return InputError(f"{path}:{line}: {what}, got {value[:80]!r}", slug="malformed-report")


def _read_csv(path: Path, collector: _Collector) -> None:
    stamps = _Timestamps()
    parents: dict[str, tuple[str, float, float]] = {}  # thread -> its last top-level sample
    labels = collector.labels
    line = line_of_header = 0
    i_el, i_lb = 1, 2
    i_ts: int | None = 0
    i_ok: int | None = 7
    i_th: int | None = 5
    header: list[str] | None = None
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if header is None:
                    if _NO_HEADER.match(",".join(row[:2]) + ","):
                        header = list(DEFAULT_COLUMNS[: max(len(row), 8)])
                    else:
                        header = row
                        line_of_header = line
                        i_ts = _column(header, "timeStamp")
                        i_el = _required(path, line, header, "elapsed")
                        i_lb = _required(path, line, header, "label")
                        i_ok = _column(header, "success")
                        i_th = _column(header, "threadName")
                        collector.outcomes = i_ok is not None
                        continue
                if len(row) < len(header):
                    raise InputError(
                        f"{path}:{line}: row has {len(row)} fields, the header has "
                        f"{len(header)} (truncated file?)",
                        slug="malformed-report",
                    )
                label = row[i_lb]
                cell = row[i_el]
                try:
                    elapsed = float(int(cell))
                except ValueError:
                    try:
                        elapsed = float(cell)
                    except ValueError:
                        raise _bad(path, line, "'elapsed' must be milliseconds", cell) from None
                start: float | None = None
                if i_ts is not None:
                    cell = row[i_ts]
                    try:
                        start = float(int(cell))  # epoch ms, the common case, inline
                    except ValueError:
                        start = stamps(cell)
                ok = True
                if i_ok is not None:
                    flag = row[i_ok]
                    if flag != "true":
                        low = flag.strip().lower()
                        if low == "false":
                            ok = False
                        elif low != "true":
                            hint = "" if line_of_header else " (a JTL without header must use "
                            hint += "" if line_of_header else "JMeter's default column order)"
                            raise _bad(path, line, f"'success' must be true or false{hint}", flag)
                thread = row[i_th] if i_th is not None else ""
                if label[-1:].isdigit() and start is not None:
                    m = _SUB.match(label)
                    parent = parents.get(thread)
                    if (
                        m
                        and parent is not None
                        and parent[0] == m["base"]
                        and start >= parent[1]
                        and start + elapsed <= parent[2] + 1.0  # whole-ms rounding
                    ):
                        continue  # a sub-result: its parent's row already counts it
                if start is not None:
                    parents[thread] = (label, start, start + elapsed)
                stats = labels.get(label) or collector.stats(label)
                stats.add(elapsed, start, ok)
                collector.count += 1
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise csv_problem(path, line + 1, exc, f"{_WHAT} (CSV)") from None
    if header is None:
        raise InputError(f"{path}:1: report is empty (expected a {_WHAT})", slug="empty-report")
    if not collector.count:
        raise InputError(f"{path}:{line}: the JTL has a header but no samples", slug="empty-report")


def _read_xml(path: Path, collector: _Collector) -> None:
    stamps = _Timestamps()
    root_seen = False
    for _event, elem in iterparse(path, ("end",)):
        tag = local(elem.tag)
        if tag not in ("httpSample", "sample"):
            if tag == "testResults":
                root_seen = True
            continue
        parent = elem.getparent()
        if parent is None or local(parent.tag) != "testResults":
            continue  # a sub-result; counted through its parent
        line = int(getattr(elem, "sourceline", 0) or 0)  # the stubs mistype it
        t = elem.get("t")
        if t is None:
            raise InputError(f"{path}:{line}: <{tag}> has no t= (elapsed) attribute")
        try:
            elapsed = float(t)
        except ValueError:
            raise _bad(path, line, "t= must be milliseconds", t) from None
        ts = elem.get("ts")
        start = stamps(ts) if ts is not None else None
        ok = elem.get("s", "true").strip().lower() != "false"
        if ok:
            for result in elem.iterchildren("assertionResult"):
                if "true" in (result.findtext("failure"), result.findtext("error")):
                    ok = False
                    break
        collector.add(elem.get("lb", ""), elapsed, start, ok)
        elem.clear()
        while elem.getprevious() is not None:  # keep memory flat: drop finished siblings
            del parent[0]
    if not root_seen:
        raise InputError(f"{path}:1: not a JMeter XML JTL (no <testResults>)")
    if not collector.count:
        raise InputError(f"{path}: the JTL has no samples", slug="empty-report")


def _is_xml(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def read_jtl(path: Path, *, exact_limit: int | None = None) -> ReportData:
    """Read a JMeter JTL (CSV or XML) into ``perf.*`` metrics.

    *exact_limit* is how many distinct elapsed values are kept for exact percentiles before the
    1%-error sketch takes over (default :data:`~testgate.adapters._quantiles.DEFAULT_EXACT_LIMIT`).
    """
    try:
        if path.stat().st_size == 0:
            raise InputError(f"{path}:1: report is empty (a zero-byte JTL)", slug="empty-report")
        xml = _is_xml(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    collector = _Collector(exact_limit)
    if xml:
        try:
            _read_xml(path, collector)
        except etree.LxmlError as exc:  # anything iterparse did not already translate
            raise InputError(f"{path}: malformed XML JTL ({exc})") from None
    else:
        _read_csv(path, collector)
    return collector.report()


class JMeterAdapter:
    name = "jmeter"
    kind = "perf"
    description = "Apache JMeter JTL results (CSV with or without header, XML)"

    def sniff(self, head: str, path: Path) -> int:
        text = head.lstrip("\ufeff \t\r\n")
        if text.startswith("<"):
            return 95 if "<testResults" in head[:4096] else 0
        first = text.split("\n", 1)[0]
        fields = [f.strip().lower() for f in first.split(",")]
        if "elapsed" in fields and "label" in fields:
            return 95
        if _NO_HEADER.match(first) and re.search(r",(true|false),", first):
            return 60
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_jtl(path)


ADAPTERS = [JMeterAdapter()]
