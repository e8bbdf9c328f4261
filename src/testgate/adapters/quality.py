"""Code-quality measures: lizard (CSV, cppncss XML), radon (``cc -j``, ``mi -j``), jscpd, PMD CPD.

lizard and radon give ``complexity.cyclomatic.max`` (the most complex function) and a
``complexity`` finding per function over :data:`CCN_THRESHOLD`; jscpd gives
``duplication.percent`` and a ``duplication`` finding per clone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from testgate.adapters import _xml
from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    decode_text,
    has_keys,
    json_start,
    load_json,
    obj,
    read_bounded,
    rel_path,
)
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Finding, ReportData

__all__ = [
    "ADAPTERS",
    "CCN_THRESHOLD",
    "CpdAdapter",
    "JscpdAdapter",
    "LizardCsvAdapter",
    "LizardXmlAdapter",
    "RadonCcAdapter",
    "RadonMiAdapter",
]

#: lizard's own default warning threshold (``-C 15``); a function above it is a finding
CCN_THRESHOLD = 15
#: above this a function is rated high rather than medium (radon's rank E starts at 31)
CCN_HIGH = 30


def _complexity(tool: str, ccn: int, name: str, path: str | None, line: int | None) -> Finding:
    return Finding(
        tool=tool,
        rule="cyclomatic-complexity",
        severity="high" if ccn > CCN_HIGH else "medium",
        message=f"{name} has a cyclomatic complexity of {ccn} (threshold {CCN_THRESHOLD})",
        category="complexity",
        path=path,
        line=line,
    )


def _complexity_report(
    tool: str, funcs: Iterable[tuple[int, str, str | None, int | None]]
) -> ReportData:
    data = ReportData()
    best: int | None = None
    for ccn, name, path, line in funcs:
        best = ccn if best is None else max(best, ccn)
        if ccn > CCN_THRESHOLD:
            data.findings.append(_complexity(tool, ccn, name, path, line))
    if best is not None:
        data.metrics["complexity.cyclomatic.max"] = float(best)
    return data


_LIZARD_ROW = re.compile(r'^\s*\d+,\d+,\d+,\d+,\d+,"')


class LizardCsvAdapter:
    """``lizard --csv``: no header row (newer versions may add one), columns
    NLOC, CCN, token, PARAM, length, location, file, function, long_name, start, end."""

    name = "lizard-csv"
    kind = "complexity"
    description = "lizard CSV (lizard --csv)"

    def sniff(self, head: str, path: Path) -> int:
        first = head.lstrip("\ufeff").split("\n", 1)[0]
        if first.startswith("NLOC,CCN,token,PARAM"):
            return 90
        if _LIZARD_ROW.match(first):
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        text = decode_text(path, read_bounded(path))
        if not text.strip():
            raise InputError(f"{path}:1: report is empty", slug="empty-report")
        return _complexity_report("lizard", self._rows(path, text, ctx.root))

    @staticmethod
    def _rows(
        path: Path, text: str, root: Path
    ) -> Iterator[tuple[int, str, str | None, int | None]]:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            for row in reader:
                if not row or not "".join(row).strip():
                    continue
                if len(row) < 8 or not row[1].strip().isdigit():
                    if reader.line_num == 1 and row and row[0].strip() == "NLOC":
                        continue  # the header newer lizard versions write
                    raise InputError(
                        f"{path}:{reader.line_num}: not a lizard CSV row (expected NLOC, CCN, "
                        "token, PARAM, length, location, file, function, ...)",
                        slug="malformed-report",
                    )
                line = as_int(row[9]) if len(row) > 9 else None
                yield int(row[1]), row[7], rel_path(row[6], root), line
        except csv.Error as exc:
            raise InputError(
                f"{path}:{reader.line_num}: malformed CSV ({exc})", slug="malformed-report"
            ) from None


_ITEM = re.compile(r"^(?P<name>.*) at (?P<path>.*):(?P<line>\d+)$")


class LizardXmlAdapter:
    """``lizard --xml`` (the cppncss format): the Function measure's CCN column."""

    name = "lizard-xml"
    kind = "complexity"
    description = "lizard XML (lizard --xml, cppncss format)"

    def sniff(self, head: str, path: Path) -> int:
        return 90 if re.search(r"<cppncss[\s>]", head) else 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return _complexity_report("lizard", self._functions(path, ctx.root))

    @staticmethod
    def _functions(path: Path, root: Path) -> Iterator[tuple[int, str, str | None, int | None]]:
        in_function = False
        labels: list[str] = []
        for event, el in _xml.iterparse(path, ("start", "end")):
            tag = _xml.local(el.tag)
            if event == "start":
                if tag == "measure":
                    in_function = el.get("type") == "Function"
                    labels = []
                continue
            if tag == "label" and in_function:
                labels.append((el.text or "").strip())
            elif tag == "item" and in_function:
                values = [(v.text or "").strip() for v in el if _xml.local(v.tag) == "value"]
                col = labels.index("CCN") if "CCN" in labels else 2
                raw = values[col] if col < len(values) else ""
                if not raw.isdigit():
                    raise InputError(
                        f"{path}:{el.sourceline}: CCN value {raw!r} of item "
                        f"{el.get('name')!r} is not a number",
                        slug="malformed-report",
                    )
                m = _ITEM.match(el.get("name") or "")
                if m:
                    name, file, line = m["name"], rel_path(m["path"], root), int(m["line"])
                else:
                    name, file, line = el.get("name") or "?", None, None
                yield int(raw), name, file, line
                el.clear()
            elif tag == "measure":
                el.clear()
                in_function = False


class RadonCcAdapter(JsonAdapter):
    """``radon cc -j``: functions, methods and closures (class entries are summaries and are
    not counted); a file radon could not parse (``{"error": ...}``) is skipped."""

    name = "radon-cc"
    kind = "complexity"
    description = "radon cyclomatic complexity JSON (radon cc -j)"

    def sniff(self, head: str, path: Path) -> int:
        if (
            json_start(head) == "{"
            and has_keys(head, "complexity", "rank")
            and (has_keys(head, "lineno") or has_keys(head, "col_offset"))
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise self.shape_error(path, "not a radon cc report (expected an object keyed by file)")

        def walk(
            file: str | None, blocks: Any
        ) -> Iterator[tuple[int, str, str | None, int | None]]:
            for b in blocks if isinstance(blocks, list) else []:
                if not isinstance(b, dict):
                    continue
                if b.get("type") != "class" and isinstance(b.get("complexity"), (int, float)):
                    name = b.get("name") or "?"
                    if b.get("classname"):
                        name = f"{b['classname']}.{name}"
                    yield int(b["complexity"]), str(name), file, as_int(b.get("lineno"))
                yield from walk(file, b.get("methods"))
                yield from walk(file, b.get("closures"))

        def functions() -> Iterator[tuple[int, str, str | None, int | None]]:
            for file, blocks in doc.items():
                yield from walk(rel_path(file, ctx.root), blocks)

        return _complexity_report("radon", functions())


class RadonMiAdapter(JsonAdapter):
    """``radon mi -j``: no metric of DESIGN.md's table; a file ranked C (maintainability
    index below 10) is a ``complexity`` finding."""

    name = "radon-mi"
    kind = "complexity"
    description = "radon maintainability index JSON (radon mi -j)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) == "{" and re.search(r'"mi"\s*:\s*[-\d.]', head):
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise self.shape_error(path, "not a radon mi report (expected an object keyed by file)")
        data = ReportData()
        for file, v in doc.items():
            if isinstance(v, dict) and v.get("rank") == "C":
                mi = v.get("mi")
                data.findings.append(
                    Finding(
                        tool="radon",
                        rule="maintainability-index",
                        severity="medium",
                        message=f"maintainability index {mi:.1f} (rank C)"
                        if isinstance(mi, (int, float))
                        else "maintainability rank C",
                        category="complexity",
                        path=rel_path(file, ctx.root),
                    )
                )
        return data


class JscpdAdapter(JsonAdapter):
    """jscpd JSON (``--reporters json``): ``statistics.total.percentage`` (of lines)."""

    name = "jscpd"
    kind = "duplication"
    description = "jscpd JSON report (jscpd --reporters json)"

    def sniff(self, head: str, path: Path) -> int:
        if (
            json_start(head) == "{"
            and has_keys(head, "statistics")
            and (has_keys(head, "duplicates") or has_keys(head, "detectionDate"))
        ):
            return 90
        if json_start(head) == "{" and has_keys(head, "duplicates", "firstFile"):
            return 80
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        stats = doc.get("statistics") if isinstance(doc, dict) else None
        total = stats.get("total") if isinstance(stats, dict) else None
        if not isinstance(total, dict) or not isinstance(total.get("percentage"), (int, float)):
            raise self.shape_error(
                path, "not a jscpd report (no number at 'statistics.total.percentage')"
            )
        data = ReportData()
        data.metrics["duplication.percent"] = float(total["percentage"])
        for d in doc.get("duplicates") or []:
            if not isinstance(d, dict):
                continue
            first = obj(d.get("firstFile"))
            second = obj(d.get("secondFile"))
            p1 = rel_path(first.get("name"), ctx.root)
            p2 = rel_path(second.get("name"), ctx.root)
            data.findings.append(
                Finding(
                    tool="jscpd",
                    rule=f"clone-{d.get('format') or 'code'}",
                    severity="low",
                    message=f"{d.get('lines', '?')} lines duplicated in {p2}:{second.get('start')}",
                    category="duplication",
                    path=p1,
                    line=as_int(first.get("start")),
                )
            )
        return data


class CpdAdapter:
    """PMD CPD XML (legacy ``<pmd-cpd>`` and PMD 7's namespaced cpd-report): one
    ``duplication`` finding per clone. CPD reports no total of lines, so
    ``duplication.percent`` stays absent."""

    name = "pmd-cpd"
    kind = "duplication"
    description = "PMD CPD XML (pmd cpd --format xml)"

    def sniff(self, head: str, path: Path) -> int:
        return 90 if re.search(r"<pmd-cpd[\s>]", head) else 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        data = ReportData()
        for _event, el in _xml.iterparse(path, ("end",), tag="{*}duplication"):
            files = [
                (rel_path(f.get("path"), ctx.root), as_int(f.get("line")))
                for f in el
                if _xml.local(f.tag) == "file"
            ]
            if files:
                (p1, l1), others = files[0], files[1:]
                where = ", ".join(f"{p}:{ln}" for p, ln in others) or "the same file"
                data.findings.append(
                    Finding(
                        tool="cpd",
                        rule="clone",
                        severity="low",
                        message=f"{el.get('lines', '?')} lines ({el.get('tokens', '?')} tokens) "
                        f"duplicated in {where}",
                        category="duplication",
                        path=p1,
                        line=l1,
                    )
                )
            el.clear()
        return data


ADAPTERS = [
    CpdAdapter(),
    LizardCsvAdapter(),
    LizardXmlAdapter(),
    RadonCcAdapter(),
    RadonMiAdapter(),
    JscpdAdapter(),
]
