"""Dependency audits: pip-audit JSON, npm audit JSON (npm 6 and npm 7+) and safety JSON.

Every vulnerable dependency becomes a ``vulnerability`` finding with package, version and the
version that fixes it; the report gives ``security.critical|high|medium|low`` (zeros for a clean
audit). npm's own totals (``metadata.vulnerabilities``) are reproduced exactly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    UNRATED,
    JsonAdapter,
    cvss_severity,
    has_keys,
    json_start,
    load_json,
    security_counts,
    word_severity,
)
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Finding, ReportData, bounded

__all__ = ["ADAPTERS", "NpmAuditAdapter", "PipAuditAdapter", "SafetyAdapter"]

_MSG = 4_000


def _finish(findings: list[Finding]) -> ReportData:
    data = ReportData(findings=findings)
    data.metrics.update(security_counts(findings))
    return data


class PipAuditAdapter(JsonAdapter):
    """``pip-audit -f json``: a list of dependencies (pip-audit < 2) or ``{"dependencies": [...]}``.

    pip-audit gives no severity; every advisory counts as ``high`` (see docs).
    """

    name = "pip-audit"
    kind = "security"
    description = "pip-audit JSON (-f json, both the list and the object shape)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if (
            start == "{"
            and has_keys(head, "dependencies", "name")
            and (has_keys(head, "vulns") or has_keys(head, "skip_reason"))
        ):
            return 90
        if start == "[" and has_keys(head, "name", "version", "vulns"):
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        deps = doc.get("dependencies") if isinstance(doc, dict) else doc
        if not isinstance(deps, list):
            raise self.shape_error(
                path,
                "not a pip-audit report (expected a list of dependencies or an object "
                "with a 'dependencies' list)",
            )
        findings: list[Finding] = []
        for i, dep in enumerate(deps):
            if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
                raise self.shape_error(path, f"dependencies[{i}] has no 'name'")
            for v in dep.get("vulns") or []:
                if not isinstance(v, dict):
                    continue
                fixes = [str(x) for x in v.get("fix_versions") or [] if x]
                aliases = [str(a) for a in v.get("aliases") or []]
                vid = str(v.get("id") or (aliases[0] if aliases else "unknown"))
                desc = str(v.get("description") or "").strip()
                also = f" (also {', '.join(aliases)})" if aliases else ""
                findings.append(
                    Finding(
                        tool="pip-audit",
                        rule=vid,
                        severity=UNRATED,
                        message=bounded(
                            f"{dep['name']} {dep.get('version', '')}: {vid}{also}"
                            + (f": {desc}" if desc else ""),
                            _MSG,
                        )
                        or "",
                        category="vulnerability",
                        package=dep["name"],
                        version=_str(dep.get("version")),
                        fixed_in=", ".join(fixes) or None,
                        aliases=tuple(a for a in aliases if a != vid),
                    )
                )
        return _finish(findings)


def _str(v: object) -> str | None:
    return str(v) if isinstance(v, (str, int, float)) and str(v) else None


def _npm_severity(word: object) -> str:
    # npm's scale is info, low, moderate, high, critical
    return word_severity(word, UNRATED) or UNRATED


class NpmAuditAdapter(JsonAdapter):
    """``npm audit --json`` of npm 6 (``advisories``) and npm 7+ (``auditReportVersion: 2``)."""

    name = "npm-audit"
    kind = "security"
    description = "npm audit --json (npm 6 advisories and npm 7+ vulnerabilities)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if has_keys(head, "auditReportVersion"):
            return 95
        if has_keys(head, "advisories") and (
            has_keys(head, "actions") or has_keys(head, "muted") or has_keys(head, "metadata")
        ):
            return 90
        if has_keys(head, "vulnerabilities", "metadata") and has_keys(head, "fixAvailable"):
            return 80
        if has_keys(head, "error", "code", "summary") and "EAUDIT" in head.upper().replace(
            "ENOAUDIT", "EAUDIT"
        ):
            return 70
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise self.shape_error(path, "not an npm audit report (expected a JSON object)")
        err = doc.get("error")
        if isinstance(err, dict) and "advisories" not in doc and "vulnerabilities" not in doc:
            code = err.get("code", "error")
            summary = str(err.get("summary") or err.get("detail") or "").strip()
            raise InputError(
                f"{path}: npm audit did not run ({code}: {summary or 'no details'}); "
                "the file holds npm's error, not an audit report",
                slug="malformed-report",
            )
        if isinstance(doc.get("advisories"), dict):
            return _finish(_npm6(doc["advisories"]))
        vulns = doc.get("vulnerabilities")
        if isinstance(vulns, dict):
            return _finish(_npm7(vulns))
        raise self.shape_error(
            path,
            "not an npm audit report (no 'advisories' (npm 6) or 'vulnerabilities' "
            "(npm 7+) object)",
        )


def _npm6(advisories: dict[str, Any]) -> list[Finding]:
    """npm 6 counts one vulnerability per dependency path to a vulnerable module."""
    out: list[Finding] = []
    for key, adv in advisories.items():
        if not isinstance(adv, dict):
            continue
        rule = _ghsa(adv.get("url")) or str(adv.get("id", key))
        severity = _npm_severity(adv.get("severity"))
        module = _str(adv.get("module_name"))
        patched = _str(adv.get("patched_versions"))
        if patched == "<0.0.0":
            patched = None  # npm's way of saying "no fix"
        title = str(adv.get("title") or rule)
        for f in adv.get("findings") or []:
            if not isinstance(f, dict):
                continue
            paths = [p for p in f.get("paths") or [] if isinstance(p, str)] or [module or "?"]
            for p in paths:
                out.append(
                    Finding(
                        tool="npm-audit",
                        rule=rule,
                        severity=severity,
                        message=bounded(f"{title} (via {p})", _MSG) or "",
                        category="vulnerability",
                        package=module,
                        version=_str(f.get("version")),
                        fixed_in=patched,
                    )
                )
    return out


def _npm7(vulns: dict[str, Any]) -> list[Finding]:
    """npm 7+ counts one vulnerability per package entry, at the entry's severity."""
    out: list[Finding] = []
    for name, entry in vulns.items():
        if not isinstance(entry, dict):
            continue
        titles: list[str] = []
        rules: list[str] = []
        through: list[str] = []
        for via in entry.get("via") or []:
            if isinstance(via, dict):
                rid = _ghsa(via.get("url")) or str(via.get("source", ""))
                if rid and rid not in rules:
                    rules.append(rid)
                if via.get("title"):
                    titles.append(str(via["title"]))
            elif isinstance(via, str):
                through.append(via)
        if titles:
            message = "; ".join(dict.fromkeys(titles))
        else:
            message = f"{name} depends on vulnerable {', '.join(through) or 'packages'}"
        fix = entry.get("fixAvailable")
        fixed_in = None
        if isinstance(fix, dict) and fix.get("name"):
            fixed_in = (
                str(fix.get("version"))
                if fix.get("name") == name
                else f"{fix['name']}@{fix.get('version')}"
            )
        out.append(
            Finding(
                tool="npm-audit",
                rule=", ".join(rules) or f"via {', '.join(through)}",
                severity=_npm_severity(entry.get("severity")),
                message=bounded(message, _MSG) or "",
                category="vulnerability",
                package=str(entry.get("name") or name),
                version=None,
                fixed_in=fixed_in,
            )
        )
    return out


_GHSA = re.compile(r"GHSA(-[0-9a-z]{4}){3}", re.IGNORECASE)


def _ghsa(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    m = _GHSA.search(url)
    return m.group(0) if m else None


class SafetyAdapter(JsonAdapter):
    """``safety check --json``: 1.x (a list of 5-item lists) and 2.x/3.x (``report_meta``)."""

    name = "safety"
    kind = "security"
    description = "safety check --json (1.x lists and 2.x/3.x objects)"

    def sniff(self, head: str, path: Path) -> int:
        start = json_start(head)
        if start == "{" and has_keys(head, "report_meta"):
            return 90
        if start == "[" and re.match(r'\s*\[\s*\[\s*"[^"]*"\s*,\s*"', head.lstrip("\ufeff")):
            return 60
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        findings: list[Finding] = []
        if isinstance(doc, list):
            for i, row in enumerate(doc):
                if not isinstance(row, list) or len(row) < 5:
                    raise self.shape_error(
                        path,
                        f"item {i} is not a safety 1.x entry "
                        "[package, affected, installed, advisory, id]",
                    )
                pkg, spec, installed, advisory, vid = (str(x) for x in row[:5])
                findings.append(
                    Finding(
                        tool="safety",
                        rule=vid,
                        severity=UNRATED,
                        message=bounded(f"{pkg} {installed} ({spec}): {advisory}", _MSG) or "",
                        category="vulnerability",
                        package=pkg,
                        version=installed,
                    )
                )
            return _finish(findings)
        if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
            raise self.shape_error(path, "not a safety report (no 'vulnerabilities' list)")
        for v in doc["vulnerabilities"]:
            if not isinstance(v, dict) or v.get("ignored"):
                continue
            pkg_name = _str(v.get("package_name"))
            fixes = [str(x) for x in v.get("fixed_versions") or [] if x]
            vid = str(v.get("vulnerability_id") or v.get("CVE") or "unknown")
            findings.append(
                Finding(
                    tool="safety",
                    rule=vid,
                    severity=_safety_severity(v),
                    message=bounded(
                        f"{pkg_name} {v.get('analyzed_version', '')}: "
                        f"{v.get('advisory', '')}".strip(),
                        _MSG,
                    )
                    or "",
                    category="vulnerability",
                    package=pkg_name,
                    version=_str(v.get("analyzed_version")),
                    fixed_in=", ".join(fixes) or None,
                    # safety's own id (e.g. 51457) and the CVE others report it by
                    aliases=tuple(
                        str(c) for c in (v.get("CVE"),) if isinstance(c, str) and c and c != vid
                    ),
                )
            )
        return _finish(findings)


def _safety_severity(v: dict[str, Any]) -> str:
    sev = v.get("severity")
    cve = v.get("CVE")
    for bag in (sev, cve):
        if isinstance(bag, dict):
            for key in ("cvssv3", "cvssv2"):
                s = cvss_severity((bag.get(key) or {}).get("base_score"))
                if s is not None:
                    return s
    if isinstance(sev, str):
        return word_severity(sev, UNRATED) or UNRATED
    return UNRATED


ADAPTERS = [PipAuditAdapter(), NpmAuditAdapter(), SafetyAdapter()]
