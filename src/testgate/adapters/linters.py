"""More linters: hadolint, cfn-lint and RuboCop JSON, PMD XML and CSV.

Like every lint adapter, errors are rated ``high`` (counted in ``lint.errors``), warnings
``medium`` or ``low`` (``lint.warnings``), and informational notes ``info`` (counted in neither).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from testgate.adapters import _xml
from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    decode_text,
    has_keys,
    json_start,
    lint_counts,
    load_json,
    obj,
    read_bounded,
    rel_path,
)
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Finding, ReportData, bounded

__all__ = [
    "ADAPTERS",
    "CfnLintAdapter",
    "HadolintAdapter",
    "PmdAdapter",
    "PmdCsvAdapter",
    "RubocopAdapter",
]

_MSG = 4_000


def _finish(findings: list[Finding]) -> ReportData:
    data = ReportData(findings=findings)
    data.metrics.update(lint_counts(findings))
    return data


def _lint(
    tool: str, rule: str, severity: str, message: str, path: str | None, line: int | None
) -> Finding:
    return Finding(
        tool=tool,
        rule=rule,
        severity=severity,
        message=bounded(message.strip(), _MSG) or "",
        category="lint",
        path=path,
        line=line,
    )


#: hadolint fails on info and above by default, so info is a warning and style a note
HADOLINT = {"error": "high", "warning": "medium", "info": "low", "style": "info"}


class HadolintAdapter(JsonAdapter):
    name = "hadolint"
    kind = "lint"
    description = "hadolint JSON (hadolint -f json)"

    def sniff(self, head: str, path: Path) -> int:
        if (
            json_start(head) == "["
            and has_keys(head, "code", "level", "file", "line")
            and (re.search(r'"code"\s*:\s*"(DL|SC)\d', head))
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, list):
            raise self.shape_error(path, "not a hadolint report (expected a JSON list)")
        findings = []
        for i, v in enumerate(doc):
            if not isinstance(v, dict):
                raise self.shape_error(path, f"item {i} is not an object")
            level = str(v.get("level") or "warning").lower()
            findings.append(
                _lint(
                    "hadolint",
                    str(v.get("code") or "hadolint"),
                    HADOLINT.get(level, "medium"),
                    str(v.get("message") or ""),
                    rel_path(v.get("file"), ctx.root),
                    as_int(v.get("line")),
                )
            )
        return _finish(findings)


CFN = {"error": "high", "warning": "medium", "informational": "info"}


class CfnLintAdapter(JsonAdapter):
    name = "cfn-lint"
    kind = "lint"
    description = "cfn-lint JSON (cfn-lint --format json)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) == "[" and has_keys(head, "Filename", "Level", "Rule", "Location"):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, list):
            raise self.shape_error(path, "not a cfn-lint report (expected a JSON list)")
        findings = []
        for i, v in enumerate(doc):
            if not isinstance(v, dict):
                raise self.shape_error(path, f"item {i} is not an object")
            start = obj(obj(v.get("Location")).get("Start"))
            findings.append(
                _lint(
                    "cfn-lint",
                    str(obj(v.get("Rule")).get("Id") or "cfn-lint"),
                    CFN.get(str(v.get("Level") or "").lower(), "medium"),
                    str(v.get("Message") or ""),
                    rel_path(v.get("Filename"), ctx.root),
                    as_int(start.get("LineNumber")),
                )
            )
        return _finish(findings)


#: RuboCop fails on refactor and above by default: conventions and refactors are warnings
RUBOCOP = {
    "fatal": "critical",
    "error": "high",
    "warning": "medium",
    "convention": "low",
    "refactor": "low",
    "info": "info",
}


class RubocopAdapter(JsonAdapter):
    name = "rubocop"
    kind = "lint"
    description = "RuboCop JSON (rubocop --format json)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) == "{" and has_keys(head, "rubocop_version"):
            return 95
        if json_start(head) == "{" and has_keys(head, "files", "offenses", "cop_name"):
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
            raise self.shape_error(path, "not a RuboCop report (no 'files' list)")
        findings = []
        for f in doc["files"]:
            file = rel_path(obj(f).get("path"), ctx.root)
            for o in obj(f).get("offenses") or []:
                o = obj(o)
                loc = obj(o.get("location"))
                findings.append(
                    _lint(
                        "rubocop",
                        str(o.get("cop_name") or "rubocop"),
                        RUBOCOP.get(str(o.get("severity") or "").lower(), "medium"),
                        str(o.get("message") or ""),
                        file,
                        as_int(loc.get("start_line", loc.get("line"))),
                    )
                )
        return _finish(findings)


def _pmd_severity(priority: object) -> str:
    # PMD priorities: 1 high, 2 medium-high, 3 medium, 4 medium-low, 5 low
    p = as_int(priority) or 3
    return "high" if p <= 2 else "medium" if p <= 4 else "low"


class PmdAdapter:
    """PMD XML report (``pmd check -f xml``). Priority 1-2 are errors, 3-5 warnings."""

    name = "pmd"
    kind = "lint"
    description = "PMD XML report (pmd check -f xml)"

    def sniff(self, head: str, path: Path) -> int:
        if re.search(r"<pmd[\s>]", head) and (
            "pmd.sourceforge.net/report" in head or "<violation" in head
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        findings: list[Finding] = []
        file: str | None = None
        for event, el in _xml.iterparse(path, ("start", "end")):
            tag = _xml.local(el.tag)
            if event == "start":
                if tag == "file":
                    file = rel_path(el.get("name"), ctx.root)
                continue
            if tag == "violation":
                findings.append(
                    _lint(
                        "pmd",
                        el.get("rule") or "pmd",
                        _pmd_severity(el.get("priority")),
                        " ".join((el.text or "").split()),
                        file,
                        as_int(el.get("beginline")),
                    )
                )
                el.clear()
            elif tag == "file":
                el.clear()
        return _finish(findings)


_PMD_HEADER = re.compile(r'^"?Problem"?,"?Package"?,"?File"?,"?Priority"?,"?Line"?')


class PmdCsvAdapter:
    """PMD CSV report (``pmd check -f csv``)."""

    name = "pmd-csv"
    kind = "lint"
    description = "PMD CSV report (pmd check -f csv)"

    def sniff(self, head: str, path: Path) -> int:
        return 90 if _PMD_HEADER.match(head.lstrip("\ufeff")) else 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        text = decode_text(path, read_bounded(path))
        reader = csv.DictReader(io.StringIO(text, newline=""))
        findings = []
        try:
            if "File" not in (reader.fieldnames or ()):
                raise InputError(
                    f"{path}:1: not a PMD CSV report (expected the header "
                    "Problem,Package,File,Priority,Line,Description,Rule set,Rule)",
                    slug="malformed-report",
                )
            for row in reader:
                if not row.get("File"):
                    raise InputError(
                        f"{path}:{reader.line_num}: not a PMD CSV row (no File column)",
                        slug="malformed-report",
                    )
                findings.append(
                    _lint(
                        "pmd",
                        row.get("Rule") or "pmd",
                        _pmd_severity(row.get("Priority")),
                        row.get("Description") or "",
                        rel_path(row["File"], ctx.root),
                        as_int(row.get("Line")),
                    )
                )
        except csv.Error as exc:
            raise InputError(
                f"{path}:{reader.line_num}: malformed CSV ({exc})", slug="malformed-report"
            ) from None
        return _finish(findings)


ADAPTERS = [HadolintAdapter(), CfnLintAdapter(), RubocopAdapter(), PmdAdapter(), PmdCsvAdapter()]
