"""GitLab Code Quality JSON (the Code Climate issue subset GitLab reads from
``artifacts:reports:codequality``): one issue per failing gate criterion and per finding with a
file, shown in the merge request widget and beside the diff.

GitLab requires ``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location.path`` with ``location.lines.begin``; a fingerprint must be unique in the report
(GitLab shows one issue per fingerprint). Issues with no file are left out, as in SARIF.
"""

from __future__ import annotations

import json
from typing import Any

from testgate.model import Run
from testgate.report.review import Issue, ReviewSource, issues

__all__ = ["CODEQUALITY_SEVERITIES", "render_codequality"]

#: GitLab's severities, lowest first
CODEQUALITY_SEVERITIES = ("info", "minor", "major", "critical", "blocker")

_SEVERITY = {
    "critical": "critical",
    "high": "major",
    "medium": "minor",
    "low": "info",
    "info": "info",
}

#: finding category / metric family -> Code Climate category
_CATEGORY = {
    "vulnerability": "Security",
    "secret": "Security",
    "license": "Compatibility",
    "lint": "Style",
    "complexity": "Complexity",
    "duplication": "Duplication",
    "mutation": "Bug Risk",
    "security": "Security",
    "secrets": "Security",
    "licenses": "Compatibility",
    "perf": "Performance",
    "pipeline": "Performance",
}


def _category(issue: Issue) -> str:
    if issue.kind == "finding":
        return _CATEGORY.get(issue.properties.get("category", ""), "Bug Risk")
    family = issue.properties.get("metric", "").split(".", 1)[0]
    return _CATEGORY.get(family, "Bug Risk")


def _severity(issue: Issue) -> str:
    if issue.kind == "criterion":
        # a failing blocking gate blocks the merge; anything else is worth a look
        return "blocker" if issue.level == "error" else "major"
    return _SEVERITY.get(issue.severity, "minor")


def render_codequality(run: Run, *, source: ReviewSource | None = None) -> str:
    """The run's failing criteria and located findings as a GitLab Code Quality report."""
    out: list[dict[str, Any]] = []
    for issue in issues(run, source):
        if not issue.path:
            continue
        item: dict[str, Any] = {
            "type": "issue",
            "check_name": issue.rule,
            "description": issue.message,
            "categories": [_category(issue)],
            "severity": _severity(issue),
            "fingerprint": issue.fingerprint,
            "location": {"path": issue.path, "lines": {"begin": issue.line or 1}},
        }
        if issue.help:
            item["content"] = {"body": issue.help}
        out.append(item)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
