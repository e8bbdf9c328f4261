"""istanbul's JSON coverage, what ``jest --coverage``, nyc and c8 write by default.

``coverage-final.json`` is the raw coverage object: per file a ``statementMap`` and hit counts
``s``, and a ``branchMap`` whose every entry has one count per branch in ``b``. Line coverage is
computed as istanbul computes it (``FileCoverage.getLineCoverage``: a line's count is the
largest count of the statements that start on it), so that the totals equal istanbul's own
``lines`` summary; each branch is identified by its ``branchMap`` key and position, so that the
reports of several shards merge exactly (see :class:`testgate.model.FileCoverage`).

``coverage-summary.json`` holds only totals per file (no line numbers): it gives the run's
``coverage.line`` and ``coverage.branch`` metrics as istanbul counted them, exactly, and no line
data, so new-code coverage and merging need ``coverage-final.json`` (or lcov) instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._paths import PathNormalizer
from testgate.adapters._static import JsonAdapter, json_start, load_json
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

if TYPE_CHECKING:
    from testgate.adapters.registry import ReadContext

__all__ = ["ADAPTERS", "IstanbulFinalAdapter", "IstanbulSummaryAdapter", "read_istanbul_final"]


def _bad(path: Path, what: str) -> InputError:
    return InputError(f"{path}: {what}", slug="malformed-report")


def _count(path: Path, where: str, value: object) -> int:
    if type(value) is int and value >= 0:
        return value
    raise _bad(path, f"{where} must be a hit count (a whole number >= 0), got {value!r}")


def _line_of(path: Path, where: str, loc: object) -> int:
    start = loc.get("start") if isinstance(loc, dict) else None
    line = start.get("line") if isinstance(start, dict) else None
    if type(line) is int and line > 0:
        return line
    raise _bad(path, f"{where} has no start line (expected {{'start': {{'line': N}}}})")


def read_istanbul_final(path: Path, ctx: ReadContext) -> ReportData:
    doc = load_json(path)
    if not isinstance(doc, dict):
        raise _bad(path, "not an istanbul coverage-final.json (expected an object of files)")
    norm = PathNormalizer(ctx.root)
    cov = Coverage()
    for key, fd in doc.items():
        if not isinstance(fd, dict):
            raise _bad(path, f"[{key!r}] is not an object")
        # nyc wraps each file as {"data": {...}} in some versions
        if "statementMap" not in fd and isinstance(fd.get("data"), dict):
            fd = fd["data"]
        smap, s = fd.get("statementMap"), fd.get("s")
        if not isinstance(smap, dict) or not isinstance(s, dict):
            raise _bad(path, f"[{key!r}] has no 'statementMap' and 's' (not istanbul coverage)")
        lines: dict[int, int] = {}
        for sid, loc in smap.items():
            n = _line_of(path, f"[{key!r}].statementMap[{sid!r}]", loc)
            hits = _count(path, f"[{key!r}].s[{sid!r}]", s.get(sid, 0))
            old = lines.get(n)
            if old is None or hits > old:
                lines[n] = hits
        branches: dict[int, tuple[int, int]] = {}
        missed: dict[int, set[str]] = {}
        bmap, b = fd.get("branchMap") or {}, fd.get("b") or {}
        if not isinstance(bmap, dict) or not isinstance(b, dict):
            raise _bad(path, f"[{key!r}].branchMap and .b must be objects")
        for bid, entry in bmap.items():
            if not isinstance(entry, dict):
                raise _bad(path, f"[{key!r}].branchMap[{bid!r}] is not an object")
            given = entry.get("line")
            if type(given) is int and given > 0:
                n = given
            else:
                n = _line_of(path, f"[{key!r}].branchMap[{bid!r}].loc", entry.get("loc"))
            counts = b.get(bid, [])
            if not isinstance(counts, list):
                raise _bad(path, f"[{key!r}].b[{bid!r}] must be a list of counts")
            c, t = branches.get(n, (0, 0))
            for i, raw in enumerate(counts):
                hit = _count(path, f"[{key!r}].b[{bid!r}][{i}]", raw)
                t += 1
                if hit:
                    c += 1
                else:
                    missed.setdefault(n, set()).add(f"{bid}.{i}")
            branches[n] = (c, t)
        ids = {n: frozenset(m) for n, m in missed.items() if 0 < branches[n][0] < branches[n][1]}
        raw_path = fd.get("path") if isinstance(fd.get("path"), str) else key
        cov.add(FileCoverage(norm(str(raw_path)), lines, branches, ids))
    return ReportData(coverage=cov)


class IstanbulFinalAdapter(JsonAdapter):
    name = "istanbul-json"
    kind = "coverage"
    description = "istanbul coverage-final.json (jest --coverage, nyc, c8: the json reporter)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if '"statementMap"' in head and ('"fnMap"' in head or '"branchMap"' in head):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_istanbul_final(path, ctx)


def _pair(path: Path, where: str, d: object) -> tuple[int, int]:
    if not isinstance(d, dict):
        raise _bad(path, f"{where} must be an object with 'covered' and 'total'")
    c, t = d.get("covered"), d.get("total")
    if type(c) is not int or type(t) is not int or not 0 <= c <= t:
        raise _bad(path, f"{where} must have whole numbers 0 <= covered <= total, got {d!r}")
    return c, t


def read_istanbul_summary(path: Path, ctx: ReadContext) -> ReportData:
    doc = load_json(path)
    total = doc.get("total") if isinstance(doc, dict) else None
    if not isinstance(total, dict):
        raise _bad(path, "not an istanbul coverage-summary.json (expected a 'total' object)")
    data = ReportData()
    lc, lt = _pair(path, "total.lines", total.get("lines"))
    if lt:
        data.metrics["coverage.line"] = round(100.0 * lc / lt, 4)
    if "branches" in total:
        bc, bt = _pair(path, "total.branches", total.get("branches"))
        if bt:
            data.metrics["coverage.branch"] = round(100.0 * bc / bt, 4)
    return data


class IstanbulSummaryAdapter(JsonAdapter):
    name = "istanbul-summary"
    kind = "coverage"
    description = (
        "istanbul coverage-summary.json (the json-summary reporter): totals only, no line data"
    )

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if '"total"' in head and '"lines"' in head and '"pct"' in head and '"statements"' in head:
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_istanbul_summary(path, ctx)


ADAPTERS: list[Any] = [IstanbulFinalAdapter(), IstanbulSummaryAdapter()]
