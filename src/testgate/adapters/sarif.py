"""SARIF 2.1.0 from any producer: semgrep, CodeQL, bandit, eslint, ruff, gitleaks, grype...

Each run is classified by its tool: secret scanners give ``secret`` findings, linters ``lint``
findings, everything else ``vulnerability`` findings; a rule tagged ``security`` (or carrying a
``security-severity`` score) is a vulnerability whatever the tool. See docs/formats-security.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from testgate.adapters._static import (
    JsonAdapter,
    as_int,
    cvss_severity,
    has_keys,
    json_start,
    lint_counts,
    load_json,
    rel_path,
    secret_counts,
    security_counts,
    word_severity,
)
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, ReportData, bounded

__all__ = ["ADAPTERS", "SarifAdapter", "classify_tool"]

#: Tools whose every result is a leaked secret.
SECRET_TOOLS = frozenset({"gitleaks", "detect-secrets", "trufflehog", "ggshield", "secretlint"})
#: Tools that measure code style and correctness: their results are lint, unless a rule says
#: it is about security.
LINTERS = frozenset(
    {
        "eslint",
        "ruff",
        "pylint",
        "flake8",
        "mypy",
        "stylelint",
        "rubocop",
        "hadolint",
        "shellcheck",
        "markdownlint",
        "golangci-lint",
        "staticcheck",
        "clippy",
        "ktlint",
        "detekt",
        "checkstyle",
        "pmd",
        "tflint",
        "cfn-lint",
        "sqlfluff",
        "biome",
        "oxlint",
    }
)
#: Analysers that report both code quality and security: rules tagged security are
#: vulnerabilities, the rest lint; both families are measured.
MIXED = frozenset({"codeql", "lgtm.com", "spotbugs", "sonarqube", "sonarlint", "infer"})

_LEVEL = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
_SEVERITY_PROPS = ("issue_severity", "severity", "problem.severity", "Severity")


def classify_tool(name: str) -> str:
    """'secret', 'lint', 'mixed' or 'security' for a SARIF ``tool.driver.name``."""
    n = name.strip().lower()
    first = n.split()[0] if n else n
    for candidate in (n, first):
        if candidate in SECRET_TOOLS:
            return "secret"
        if candidate in LINTERS:
            return "lint"
        if candidate in MIXED:
            return "mixed"
    return "security"


class SarifAdapter(JsonAdapter):
    name = "sarif"
    kind = "security"
    description = "SARIF 2.1.0 (semgrep, CodeQL, bandit, eslint, ruff, gitleaks, grype, ...)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if re.search(r'"\$schema"\s*:\s*"[^"]*sarif', head, re.IGNORECASE):
            return 95
        if has_keys(head, "runs") and re.search(r'"version"\s*:\s*"2\.1\.0"', head):
            return 90
        if has_keys(head, "runs", "tool", "driver"):
            return 70
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise self.shape_error(path, "not a SARIF log (expected a JSON object with 'runs')")
        version = doc.get("version")
        if version is not None and not str(version).startswith("2."):
            raise self.shape_error(
                path, f"SARIF version {version!r} is not supported; testgate reads SARIF 2.1.0"
            )
        runs = doc.get("runs")
        if runs is None:
            runs = []
        if not isinstance(runs, list):
            raise self.shape_error(path, "'runs' must be a list of SARIF runs")
        data = ReportData()
        families: set[str] = set()
        for i, run in enumerate(runs):
            if not isinstance(run, dict):
                raise self.shape_error(path, f"runs[{i}] is not an object")
            families |= _read_run(run, ctx.root, data.findings)
        if "security" in families:
            data.metrics.update(security_counts(data.findings))
        if "secret" in families:
            data.metrics.update(secret_counts(data.findings))
        if "lint" in families:
            data.metrics.update(lint_counts(data.findings))
        return data


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


def _text(v: object) -> str | None:
    t = _dict(v).get("text")
    return t if isinstance(t, str) else None


class _Run:
    """Lookups inside one run: rules by index and id, artifacts, base URIs."""

    def __init__(self, run: dict[str, Any]) -> None:
        tool = _dict(run.get("tool"))
        self.driver = _dict(tool.get("driver"))
        self.extensions = [_dict(e) for e in _list(tool.get("extensions"))]
        self.rules = [_dict(r) for r in _list(self.driver.get("rules"))]
        self.by_id: dict[str, dict[str, Any]] = {}
        for comp in [self.driver, *self.extensions]:
            for r in _list(comp.get("rules")):
                rid = _dict(r).get("id")
                if isinstance(rid, str):
                    self.by_id.setdefault(rid, r)
        self.artifacts = [_dict(a) for a in _list(run.get("artifacts"))]
        self.bases = _dict(run.get("originalUriBaseIds"))
        self._paths: dict[str, str] = {}

    def rule(self, result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ref = _dict(result.get("rule"))
        rid = result.get("ruleId") or ref.get("id")
        index = result.get("ruleIndex", ref.get("index"))
        comp_ref = _dict(ref.get("toolComponent"))
        rules = self.rules
        if isinstance(comp_ref.get("index"), int) and 0 <= comp_ref["index"] < len(self.extensions):
            rules = [_dict(r) for r in _list(self.extensions[comp_ref["index"]].get("rules"))]
        rule: dict[str, Any] = {}
        if isinstance(index, int) and 0 <= index < len(rules):
            rule = rules[index]
        elif isinstance(rid, str):
            rule = _dict(self.by_id.get(rid) or self.by_id.get(rid.split("/")[0]))
        if not isinstance(rid, str) or not rid:
            rid = rule.get("id")
        if not isinstance(rid, str) or not rid:
            # gitleaks 7 names the rule only in the message ("AWS Access Key secret detected")
            msg = _text(result.get("message")) or ""
            rid = next((k for k in self.by_id if msg.startswith(k)), "")
            rule = _dict(self.by_id.get(rid))
        return rid, rule

    def path(self, loc: dict[str, Any], root: Path) -> str | None:
        """The repository-relative path of a physical location (memoised: results share files)."""
        uri = self.uri(loc)
        if uri is None:
            return None
        got = self._paths.get(uri)
        if got is None:
            got = self._paths[uri] = rel_path(uri, root, uri=True) or ""
        return got or None

    def uri(self, loc: dict[str, Any]) -> str | None:
        art = _dict(loc.get("artifactLocation"))
        uri = art.get("uri")
        index = art.get("index")
        base_id = art.get("uriBaseId")
        if not isinstance(uri, str) and isinstance(index, int) and 0 <= index < len(self.artifacts):
            a_loc = _dict(self.artifacts[index].get("location"))
            uri = a_loc.get("uri")
            base_id = base_id or a_loc.get("uriBaseId")
        if not isinstance(uri, str):
            return None
        seen = 0
        # resolve uriBaseId chains (bounded: a cyclic chain in a hostile file must end)
        while isinstance(base_id, str) and seen < 8 and not _is_absolute(uri):
            base = _dict(self.bases.get(base_id))
            base_uri = base.get("uri")
            if not isinstance(base_uri, str):
                break
            base_uri = base_uri.strip()
            uri = base_uri + uri if base_uri.endswith("/") else f"{base_uri}/{uri}"
            base_id = base.get("uriBaseId")
            seen += 1
        return uri


def _is_absolute(uri: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri)) or uri.startswith("/")


def _suppressed(result: dict[str, Any]) -> bool:
    """SARIF 2.1.0 §3.27.23: hidden only when it has suppressions and none of them is
    ``underReview`` or ``rejected`` (a rejected or pending suppression keeps it visible,
    whatever the other suppressions say)."""
    sups = _list(result.get("suppressions"))
    if not sups:
        return False
    for s in sups:
        status = _dict(s).get("status", _dict(s).get("state"))
        if status in ("underReview", "rejected"):
            return False
    return True


def _tags(*bags: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for bag in bags:
        for t in _list(_dict(bag.get("properties")).get("tags")):
            if isinstance(t, str):
                out.add(t.lower())
    return out


def _severity(result: dict[str, Any], rule: dict[str, Any]) -> tuple[str, bool]:
    """(severity, whether the producer rated it as a security problem)."""
    rprops = _dict(result.get("properties"))
    uprops = _dict(rule.get("properties"))
    for props in (rprops, uprops):
        sev = cvss_severity(props.get("security-severity"))
        if sev is not None:
            return sev, True
    for props in (rprops, uprops):
        for key in _SEVERITY_PROPS:
            sev = word_severity(props.get(key))
            if sev is not None:
                return sev, False
    level = result.get("level")
    if not isinstance(level, str):
        kind = result.get("kind", "fail")
        if kind != "fail":
            level = "none"  # §3.27.10: a non-failing result defaults to level none
        else:
            level = _dict(rule.get("defaultConfiguration")).get("level", "warning")
    return _LEVEL.get(str(level), "medium"), False


def _read_run(run: dict[str, Any], root: Path, out: list[Finding]) -> set[str]:
    """Append the run's open results to *out*; return the metric families it measures."""
    r = _Run(run)
    tool_name = str(r.driver.get("name") or "sarif")
    klass = classify_tool(tool_name)
    families = {"mixed": {"security", "lint"}}.get(klass, {klass})
    tool = tool_name.lower().split()[0] if tool_name.strip() else "sarif"
    rule_facts: dict[int, tuple[str, bool, bool]] = {}
    results = run.get("results")
    failed = any(
        _dict(inv).get("executionSuccessful") is False for inv in _list(run.get("invocations"))
    )
    if not results and (results is None or failed):
        # §3.14.23: absent or null results mean the tool produced none (it did not run or
        # failed), which is not a clean scan: measure nothing rather than zeros
        return set()
    for res in _list(results):
        if not isinstance(res, dict) or _suppressed(res):
            continue
        if res.get("kind") in ("pass", "notApplicable") or res.get("baselineState") == "absent":
            continue  # a check that passed, or a result that is gone since the baseline
        rid, rule = r.rule(res)
        if "properties" in res or "level" in res or "kind" in res:
            severity, scored = _severity(res, rule)
            security_tag = "security" in _tags(res, rule)
        else:
            # the common case (semgrep, CodeQL): everything comes from the rule, computed once
            key = id(rule)
            cached = rule_facts.get(key)
            if cached is None:
                sev, sc = _severity(res, rule)
                cached = rule_facts[key] = (sev, sc, "security" in _tags(rule))
            severity, scored, security_tag = cached
        if klass == "secret":
            category = "secret"
            if not scored and not isinstance(res.get("level"), str):
                severity = "high"  # as the native gitleaks/detect-secrets adapters rate leaks
        elif scored or security_tag:
            category = "vulnerability"
            families.add("security")
        elif klass in ("lint", "mixed"):
            category = "lint"
        else:
            category = "vulnerability"
        path = line = None
        locs = _list(res.get("locations"))
        if locs:
            phys = _dict(_dict(locs[0]).get("physicalLocation"))
            path = r.path(phys, root)
            line = as_int(_dict(phys.get("region")).get("startLine"))
        if path is None:
            path = r.path({"artifactLocation": _dict(res.get("analysisTarget"))}, root)
        out.append(
            Finding(
                tool=tool,
                rule=rid,
                severity=severity,
                message=bounded(_message(res, rule), 4000) or "",
                category=category,
                path=path,
                line=line,
            )
        )
    return families


def _message(result: dict[str, Any], rule: dict[str, Any]) -> str:
    msg = _dict(result.get("message"))
    text = msg.get("text")
    if not isinstance(text, str):
        mid = msg.get("id")
        text = _text(_dict(rule.get("messageStrings")).get(mid)) if isinstance(mid, str) else None
    if not isinstance(text, str):
        text = _text(rule.get("shortDescription")) or _text(rule.get("fullDescription")) or ""
    args = [str(a) for a in _list(msg.get("arguments"))]
    if args:
        text = re.sub(
            r"\{(\d+)\}",
            lambda m: args[int(m.group(1))] if int(m.group(1)) < len(args) else m.group(0),
            text,
        )
    return text.strip()


ADAPTERS = [SarifAdapter()]
