"""Secret scanners: gitleaks JSON (v7 and v8, ``null`` when clean) and detect-secrets baselines.

Every leak is a ``secret`` finding; the report gives ``secrets.count``. A finding's message names
the rule and the place, never the matched text: that text is the secret.
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
    secret_counts,
)
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData

__all__ = ["ADAPTERS", "DetectSecretsAdapter", "GitleaksAdapter"]

#: every leaked secret is rated high: it is exploitable as soon as it is pushed
SECRET_SEVERITY = "high"


class GitleaksAdapter(JsonAdapter):
    name = "gitleaks"
    kind = "security"
    description = "gitleaks JSON report (v7 and v8)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if (
            start == "["
            and has_keys(head, "RuleID")
            and (has_keys(head, "StartLine") or has_keys(head, "Secret"))
        ):
            return 90
        if start == "[" and has_keys(head, "offender", "rule") and has_keys(head, "lineNumber"):
            return 90
        if start == "n" and head.strip() == "null" and "leak" in path.name.lower():
            return 50  # gitleaks writes a bare null when clean; only the name can tell
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if doc is None:
            doc = []
        if not isinstance(doc, list):
            raise self.shape_error(path, "not a gitleaks report (expected a list of leaks)")
        findings = []
        for i, leak in enumerate(doc):
            if not isinstance(leak, dict):
                raise self.shape_error(path, f"leak {i} is not an object")
            findings.append(_leak(leak, ctx.root))
        data = ReportData(findings=findings)
        data.metrics.update(secret_counts(findings))
        return data


def _leak(leak: dict[str, Any], root: Path) -> Finding:
    if "RuleID" in leak or "StartLine" in leak:  # gitleaks 8
        rule = str(leak.get("RuleID") or "secret")
        desc = str(leak.get("Description") or rule)
        file = leak.get("File")
        line = as_int(leak.get("StartLine"))
        commit = leak.get("Commit")
    else:  # gitleaks 7
        rule = str(leak.get("rule") or "secret")
        desc = rule
        file = leak.get("file")
        line = as_int(leak.get("lineNumber"))
        commit = leak.get("commit")
    where = f" in commit {str(commit)[:12]}" if commit else ""
    return Finding(
        tool="gitleaks",
        rule=rule,
        severity=SECRET_SEVERITY,
        message=f"{desc} secret detected{where}",
        category="secret",
        path=rel_path(file, root),
        line=line,
    )


class DetectSecretsAdapter(JsonAdapter):
    name = "detect-secrets"
    kind = "security"
    description = "detect-secrets baseline (.secrets.baseline)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if has_keys(head, "results") and (
            has_keys(head, "plugins_used") or has_keys(head, "hashed_secret")
        ):
            return 90
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
            raise self.shape_error(
                path, "not a detect-secrets baseline (expected a 'results' object keyed by file)"
            )
        findings = []
        for file, secrets in doc["results"].items():
            if not isinstance(secrets, list):
                raise self.shape_error(path, f"results[{file!r}] is not a list")
            for s in secrets:
                if not isinstance(s, dict):
                    continue
                if s.get("is_secret") is False:
                    continue  # audited as a false positive (detect-secrets audit)
                kind = str(s.get("type") or "secret")
                findings.append(
                    Finding(
                        tool="detect-secrets",
                        rule=kind,
                        severity=SECRET_SEVERITY,
                        message=f"{kind} detected"
                        + (" (verified)" if s.get("is_verified") else ""),
                        category="secret",
                        path=rel_path(s.get("filename") or file, ctx.root),
                        line=as_int(s.get("line_number")),
                    )
                )
        data = ReportData(findings=findings)
        data.metrics.update(secret_counts(findings))
        return data


ADAPTERS = [GitleaksAdapter(), DetectSecretsAdapter()]
