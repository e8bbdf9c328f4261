"""Static security analysers' native JSON: bandit (``-f json``) and semgrep (``--json``).

Each result is a ``vulnerability`` finding at the producer's severity; the report gives
``security.critical|high|medium|low`` (zeros for a clean scan). bandit's own ``metrics._totals``
agree with the findings (``SEVERITY.HIGH`` = ``security.high`` and so on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    has_keys,
    json_start,
    load_json,
    rel_path,
    security_counts,
    word_severity,
)
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData, bounded

__all__ = ["ADAPTERS", "BanditAdapter", "SemgrepAdapter"]

_MSG = 4_000


class BanditAdapter(JsonAdapter):
    """bandit JSON. Severity HIGH/MEDIUM/LOW as given; UNDEFINED is ``info``."""

    name = "bandit"
    kind = "security"
    description = "bandit JSON (bandit -f json)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        # bandit sorts its keys: errors, generated_at, metrics (long), results
        if has_keys(head, "generated_at") and (
            "issue_severity" in head or '"SEVERITY.' in head or '"_totals"' in head
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise self.shape_error(path, "not a bandit report (no 'results' list)")
        findings = []
        for i, r in enumerate(doc["results"]):
            if not isinstance(r, dict):
                raise self.shape_error(path, f"results[{i}] is not an object")
            test = str(r.get("test_id") or r.get("test_name") or "bandit")
            confidence = str(r.get("issue_confidence") or "").lower()
            text = str(r.get("issue_text") or "").strip()
            findings.append(
                Finding(
                    tool="bandit",
                    rule=test,
                    severity=word_severity(r.get("issue_severity"), "info") or "info",
                    message=bounded(
                        f"{text} (confidence: {confidence})" if confidence else text, _MSG
                    )
                    or "",
                    category="vulnerability",
                    path=rel_path(r.get("filename"), ctx.root),
                    line=as_int(r.get("line_number")),
                )
            )
        data = ReportData(findings=findings)
        data.metrics.update(security_counts(findings))
        return data


class SemgrepAdapter(JsonAdapter):
    """semgrep JSON. ERROR is high, WARNING medium, INFO info; ignored results are skipped."""

    name = "semgrep"
    kind = "security"
    description = "semgrep JSON (semgrep --json)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if has_keys(head, "check_id") or (
            has_keys(head, "results", "errors") and (has_keys(head, "paths") or len(head) < 200)
        ):
            return 80
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise self.shape_error(path, "not a semgrep report (no 'results' list)")
        findings = []
        for r in doc["results"]:
            if not isinstance(r, dict):
                continue
            extra: dict[str, Any] = r.get("extra") if isinstance(r.get("extra"), dict) else {}  # type: ignore[assignment]
            if extra.get("is_ignored"):
                continue  # a nosemgrep comment
            start = r.get("start") if isinstance(r.get("start"), dict) else {}
            findings.append(
                Finding(
                    tool="semgrep",
                    rule=str(r.get("check_id") or "semgrep"),
                    severity=word_severity(extra.get("severity"), "medium") or "medium",
                    message=bounded(str(extra.get("message") or "").strip(), _MSG) or "",
                    category="vulnerability",
                    path=rel_path(r.get("path"), ctx.root),
                    line=as_int(start.get("line")) if isinstance(start, dict) else None,
                )
            )
        data = ReportData(findings=findings)
        data.metrics.update(security_counts(findings))
        return data


ADAPTERS = [BanditAdapter(), SemgrepAdapter()]
