"""SARIF 2.1.0 of a run's review issues: one result per failing gate criterion and per finding
that has a file, for GitHub code scanning, Jenkins' warnings plugin (``recordIssues``) and any
SARIF viewer.

GitHub code scanning refuses a whole file when one result has no location, so every result has
one: a finding points at its file and line, a criterion at its gate in the configuration file.
Findings with no file (a vulnerable package) and criteria with no known configuration file are
not guessed at: they are counted in a tool execution notification and in the run's properties.
"""

from __future__ import annotations

import json
from pathlib import PureWindowsPath
from typing import Any
from urllib.parse import quote

from testgate.model import Run
from testgate.report.review import Issue, ReviewSource, issues, unlocated_findings

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "sarif_uri"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: GitHub code scanning ranks security results by this number (CVSS-like, as a string)
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def sarif_uri(path: str) -> tuple[str, bool]:
    """A path as a SARIF ``artifactLocation.uri``: a relative URI reference for a repository
    path (``True``: resolve it against ``%SRCROOT%``) or a ``file://`` URI for an absolute one."""
    p = path.replace("\\", "/")
    if p.startswith("/"):
        return "file://" + quote(p, safe="/:"), False
    if len(p) > 1 and p[1] == ":":  # a Windows drive: file:///C:/x
        return PureWindowsPath(path).as_uri(), False
    return quote(p, safe="/"), True


def _location(issue: Issue) -> dict[str, Any]:
    assert issue.path is not None
    uri, relative = sarif_uri(issue.path)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if issue.line:
        physical["region"] = {"startLine": issue.line}
    return {"physicalLocation": physical}


def _rule(issue: Issue) -> dict[str, Any]:
    tags = ["testgate", issue.kind]
    category = issue.properties.get("category")
    if category:
        tags.append(category)
    props: dict[str, Any] = {"tags": tags}
    if category in ("vulnerability", "secret") and issue.severity in _SECURITY_SEVERITY:
        props["security-severity"] = _SECURITY_SEVERITY[issue.severity]
        tags.append("security")
    rule: dict[str, Any] = {
        "id": issue.rule,
        "shortDescription": {"text": issue.title or issue.rule},
        "defaultConfiguration": {"level": issue.level},
        "properties": props,
    }
    if issue.help:
        rule["help"] = {"text": issue.help}
    return rule


def render_sarif(run: Run, *, source: ReviewSource | None = None) -> str:
    """The run's failing criteria and located findings as one SARIF 2.1.0 log (testgate as the
    tool; a finding's own tool is in its rule id, ``<tool>/<rule>``, and its properties)."""
    found = issues(run, source)
    placed = [i for i in found if i.path]
    unplaced_criteria = len(found) - len(placed)
    unlocated = len(unlocated_findings(run))
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for issue in placed:
        if issue.rule not in index:
            index[issue.rule] = len(rules)
            rules.append(_rule(issue))
        result: dict[str, Any] = {
            "ruleId": issue.rule,
            "ruleIndex": index[issue.rule],
            "level": issue.level,
            "message": {"text": issue.message},
            "locations": [_location(issue)],
            "partialFingerprints": {"testgate/v1": issue.fingerprint},
            "properties": {"tool": issue.tool, "kind": issue.kind, **issue.properties},
        }
        results.append(result)
    notes: list[dict[str, Any]] = []
    if unlocated:
        notes.append(
            _notification(
                "testgate/unlocated-findings",
                f"{unlocated} finding(s) name no file (a vulnerable package, a licence) and are "
                "not listed as results; the HTML report and 'testgate gate' show them",
            )
        )
    if unplaced_criteria:
        notes.append(
            _notification(
                "testgate/unlocated-criteria",
                f"{unplaced_criteria} failing criteria are not listed as results: the "
                "configuration file that defines their gates was not found (pass -c FILE)",
            )
        )
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    verdict = run.verdict
    props: dict[str, Any] = {
        "run_id": run.id,
        "verdict": verdict.verdict if verdict is not None else None,
        "unlocated_findings": unlocated,
    }
    if run.vcs.commit:
        props["commit"] = run.vcs.commit
    from testgate import __version__

    sarif_run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "testgate",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"testgate/{run.project or 'run'}/{run.id}"},
        "invocations": [invocation],
        "results": results,
        "properties": props,
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [sarif_run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _notification(rule: str, text: str) -> dict[str, Any]:
    return {"descriptor": {"id": rule}, "level": "warning", "message": {"text": text}}
