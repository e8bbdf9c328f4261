"""trivy JSON: SchemaVersion 2 ``Results[]``, the older k8s shape, the legacy list and ``null``.

Vulnerabilities and failed misconfiguration checks are ``vulnerability`` findings at trivy's
severity, secrets are ``secret`` findings, licences ``license`` findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    UNRATED,
    JsonAdapter,
    as_int,
    cvss_severity,
    has_keys,
    json_start,
    load_json,
    rel_path,
    secret_counts,
    security_counts,
    word_severity,
)
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData, bounded

__all__ = ["ADAPTERS", "TrivyAdapter"]

_MSG = 4_000
#: trivy classes whose Target is a file of the repository (not an image or a cluster object)
_FILE_CLASSES = frozenset({"lang-pkgs", "config", "secret", "license-file"})


class TrivyAdapter(JsonAdapter):
    name = "trivy"
    kind = "security"
    description = "trivy JSON (SchemaVersion 2, k8s, legacy list, null)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if (
            start == "{"
            and has_keys(head, "SchemaVersion")
            and (has_keys(head, "Results") or has_keys(head, "ArtifactName"))
        ):
            return 95
        if start == "{" and has_keys(head, "ClusterName"):
            return 85
        if (
            start == "["
            and has_keys(head, "Target")
            and (has_keys(head, "Vulnerabilities") or has_keys(head, "Type"))
        ):
            return 80
        if start == "n" and head.strip() == "null" and "trivy" in path.name.lower():
            return 50  # a bare null could be anyone's; the file name breaks the tie
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        results: list[dict[str, Any]] = []
        if doc is None:
            pass  # legacy trivy writes null when nothing was found
        elif isinstance(doc, list):
            for i, r in enumerate(doc):
                if not isinstance(r, dict):
                    raise self.shape_error(path, f"target {i} is not an object")
            results = doc
        elif isinstance(doc, dict) and isinstance(doc.get("Results"), list):
            results = [r for r in doc["Results"] if isinstance(r, dict)]
        elif isinstance(doc, dict) and ("ClusterName" in doc or "Resources" in doc):
            for key in ("Vulnerabilities", "Misconfigurations", "Resources"):
                for res in doc.get(key) or []:
                    if isinstance(res, dict):
                        results.extend(r for r in res.get("Results") or [] if isinstance(r, dict))
        elif isinstance(doc, dict) and "SchemaVersion" in doc:
            pass  # SchemaVersion 2 with no Results: a clean scan
        else:
            raise self.shape_error(
                path, "not a trivy report (expected 'Results', a list of targets, or null)"
            )
        findings: list[Finding] = []
        has_secrets = has_licenses = False
        for res in results:
            target = str(res.get("Target") or "")
            in_repo = res.get("Class") in _FILE_CLASSES or (
                res.get("Class") is None and "(" not in target
            )
            target_path = rel_path(target, ctx.root) if in_repo else None
            for v in res.get("Vulnerabilities") or []:
                if isinstance(v, dict):
                    findings.append(_vuln(v, target, target_path, ctx.root))
            for m in res.get("Misconfigurations") or []:
                if isinstance(m, dict) and m.get("Status", "FAIL") == "FAIL":
                    findings.append(_misconfig(m, target, target_path))
            if "Secrets" in res or res.get("Class") == "secret":
                has_secrets = True
            for s in res.get("Secrets") or []:
                if isinstance(s, dict):
                    findings.append(_secret(s, target_path))
            if "Licenses" in res:
                has_licenses = True
            for lic in res.get("Licenses") or []:
                if isinstance(lic, dict):
                    findings.append(_license(lic, target_path, ctx.root))
        data = ReportData(findings=findings)
        data.metrics.update(security_counts(findings))
        if has_secrets:
            data.metrics.update(secret_counts(findings))
        if has_licenses:
            data.metrics["licenses.violations"] = float(
                sum(
                    1
                    for f in findings
                    if f.category == "license" and f.severity in ("critical", "high")
                )
            )
        return data


def _severity(item: dict[str, Any]) -> str:
    sev = word_severity(item.get("Severity"))
    if sev is not None:
        return sev
    # no or UNKNOWN severity: a CVSS score, if trivy had one, else unrated
    for src in (item.get("CVSS") or {}).values():
        if isinstance(src, dict):
            s = cvss_severity(src.get("V3Score", src.get("V2Score")))
            if s is not None:
                return s
    return UNRATED


def _vuln(v: dict[str, Any], target: str, target_path: str | None, root: Path) -> Finding:
    pkg = v.get("PkgName")
    vid = str(v.get("VulnerabilityID") or "unknown")
    title = str(v.get("Title") or v.get("Description") or vid).strip()
    installed = v.get("InstalledVersion")
    where = rel_path(v.get("PkgPath"), root) or target_path
    return Finding(
        tool="trivy",
        rule=vid,
        severity=_severity(v),
        message=bounded(f"{pkg or '?'} {installed or ''}: {title}".replace("  ", " "), _MSG) or "",
        category="vulnerability",
        path=where,
        package=str(pkg) if pkg else None,
        version=str(installed) if installed else None,
        fixed_in=str(v["FixedVersion"]) if v.get("FixedVersion") else None,
        # GHSA ids and the like, by which other scanners name the same advisory
        aliases=tuple(str(x) for x in v.get("VendorIDs") or () if x and str(x) != vid),
    )


def _misconfig(m: dict[str, Any], target: str, target_path: str | None) -> Finding:
    cause = m.get("CauseMetadata") or {}
    line = as_int(cause.get("StartLine")) if isinstance(cause, dict) else None
    msg = m.get("Message") or m.get("Title") or m.get("Description") or ""
    return Finding(
        tool="trivy",
        rule=str(m.get("ID") or m.get("AVDID") or "misconfiguration"),
        severity=_severity(m),
        message=bounded(f"{m.get('Title') or m.get('ID')}: {msg}".strip(": "), _MSG) or "",
        category="vulnerability",
        path=target_path or (target or None),
        line=line,
    )


def _secret(s: dict[str, Any], target_path: str | None) -> Finding:
    # the message names the rule, never the matched text (it is the secret)
    return Finding(
        tool="trivy",
        rule=str(s.get("RuleID") or "secret"),
        severity=_severity(s),
        message=str(s.get("Title") or s.get("RuleID") or "secret"),
        category="secret",
        path=target_path,
        line=as_int(s.get("StartLine")),
    )


def _license(lic: dict[str, Any], target_path: str | None, root: Path) -> Finding:
    name = str(lic.get("Name") or "unknown")
    pkg = lic.get("PkgName")
    return Finding(
        tool="trivy",
        rule=name,
        severity=_severity(lic),
        message=f"{pkg or lic.get('FilePath') or 'file'}: licence {name} "
        f"({str(lic.get('Category') or 'unknown').lower()})",
        category="license",
        path=rel_path(lic.get("FilePath"), root) or target_path,
        package=str(pkg) if pkg else None,
    )


ADAPTERS = [TrivyAdapter()]
