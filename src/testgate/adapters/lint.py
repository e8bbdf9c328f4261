"""Linters: ruff JSON, ESLint JSON and Checkstyle XML.

Every problem is a ``lint`` finding; errors are rated ``high`` and warnings ``medium`` so that
``lint.errors`` (critical + high) and ``lint.warnings`` (medium + low) follow from the findings,
exactly as :func:`testgate.model.derive_metrics` recomputes them over a whole run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters import _xml
from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    has_keys,
    json_start,
    lint_counts,
    load_json,
    rel_path,
    word_severity,
)
from testgate.adapters.cognitive import COGNITIVE_THRESHOLD, cognitive_finding, sonarjs_complexity
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData, bounded

__all__ = ["ADAPTERS", "CheckstyleAdapter", "EslintAdapter", "RuffAdapter"]

_MSG = 4_000
ERROR = "high"
WARNING = "medium"


def _finish(findings: list[Finding]) -> ReportData:
    data = ReportData(findings=findings)
    data.metrics.update(lint_counts(findings))
    return data


class RuffAdapter(JsonAdapter):
    """``ruff check --output-format json``. ruff has no warnings: every violation is an error,
    unless the newer ``severity`` field says otherwise."""

    name = "ruff"
    kind = "lint"
    description = "ruff JSON (ruff check --output-format json)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if start == "[":
            body, score = head, 90
        else:
            # a wrapper script may print a banner before the array: look past it
            m = re.search(r"^[ \t]*\[", head, re.MULTILINE)
            if start in ("{", "n", "") or m is None:
                return 0
            body, score = head[m.start() :], 70
        if has_keys(body, "code", "filename", "location") and (
            has_keys(body, "noqa_row") or has_keys(body, "end_location")
        ):
            return score
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path, skip_preamble=True)
        if not isinstance(doc, list):
            raise self.shape_error(path, "not a ruff report (expected a JSON list of violations)")
        findings = []
        for i, v in enumerate(doc):
            if not isinstance(v, dict):
                raise self.shape_error(path, f"violation {i} is not an object")
            loc = v.get("location") if isinstance(v.get("location"), dict) else {}
            code = v.get("code") or "syntax-error"  # ruff reports parse errors with code null
            findings.append(
                Finding(
                    tool="ruff",
                    rule=str(code),
                    severity=word_severity(v.get("severity"), ERROR) or ERROR,
                    message=bounded(str(v.get("message") or "").strip(), _MSG) or "",
                    category="lint",
                    path=rel_path(v.get("filename"), ctx.root),
                    line=as_int(loc.get("row")) if isinstance(loc, dict) else None,
                )
            )
        return _finish(findings)


class EslintAdapter(JsonAdapter):
    """``eslint -f json``: severity 2 is an error, 1 a warning; a fatal parse error is an
    error; ``suppressedMessages`` (eslint-disable) are not counted. eslint-plugin-sonarjs's
    ``cognitive-complexity`` messages give ``complexity.cognitive.max`` instead of lint."""

    name = "eslint"
    kind = "lint"
    description = "ESLint JSON (eslint -f json)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if start == "[" and has_keys(head, "filePath", "messages"):
            return 90
        if re.fullmatch(r"\s*\[\s*\]\s*", head) and "eslint" in path.name.lower():
            return 40  # an empty list is anyone's; the file name breaks the tie
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, list):
            raise self.shape_error(path, "not an ESLint report (expected a JSON list of files)")
        findings: list[Finding] = []
        complexity: list[Finding] = []
        best: int | None = None
        for i, f in enumerate(doc):
            if not isinstance(f, dict) or not isinstance(f.get("messages"), list):
                raise self.shape_error(path, f"file {i} has no 'messages' list")
            file = rel_path(f.get("filePath"), ctx.root)
            for m in f["messages"]:
                if not isinstance(m, dict):
                    continue
                cognitive = sonarjs_complexity(m.get("ruleId"), m.get("message"))
                if cognitive is None:
                    findings.append(_eslint_message(m, file))
                    continue
                # eslint-plugin-sonarjs: complexity, not lint (see adapters/cognitive.py)
                best = cognitive if best is None else max(best, cognitive)
                if cognitive > COGNITIVE_THRESHOLD:
                    complexity.append(
                        cognitive_finding(
                            "eslint", cognitive, "function", file, as_int(m.get("line"))
                        )
                    )
        data = _finish(findings)
        data.findings.extend(complexity)
        if best is not None:
            data.metrics["complexity.cognitive.max"] = float(best)
        return data


def _eslint_message(m: dict[str, Any], file: str | None) -> Finding:
    fatal = bool(m.get("fatal"))
    sev = ERROR if fatal or m.get("severity") == 2 else WARNING
    rule = m.get("ruleId") or ("parse-error" if fatal else "eslint")
    return Finding(
        tool="eslint",
        rule=str(rule),
        severity=sev,
        message=bounded(str(m.get("message") or "").strip(), _MSG) or "",
        category="lint",
        path=file,
        line=as_int(m.get("line")),
    )


class CheckstyleAdapter:
    """Checkstyle XML (also written by many other linters' ``checkstyle`` formatters)."""

    name = "checkstyle"
    kind = "lint"
    description = "Checkstyle XML (<checkstyle><file><error/>)"

    def sniff(self, head: str, path: Path) -> int:
        if re.search(r"<checkstyle[\s>]", head):
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
            if tag == "error":
                sev_word = (el.get("severity") or "error").lower()
                if sev_word != "ignore":
                    findings.append(
                        Finding(
                            tool="checkstyle",
                            rule=_short_source(el.get("source") or "checkstyle"),
                            severity=word_severity(sev_word, ERROR) or ERROR,
                            message=bounded((el.get("message") or "").strip(), _MSG) or "",
                            category="lint",
                            path=file,
                            line=as_int(el.get("line")),
                        )
                    )
                el.clear()
            elif tag == "file":
                el.clear()
        return _finish(findings)


def _short_source(source: str) -> str:
    # com.puppycrawl.tools.checkstyle.checks.javadoc.JavadocPackageCheck -> JavadocPackage
    last = source.rsplit(".", 1)[-1]
    return last[:-5] if last.endswith("Check") and len(last) > 5 else last


ADAPTERS = [RuffAdapter(), EslintAdapter(), CheckstyleAdapter()]
