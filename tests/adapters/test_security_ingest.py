"""The security and quality adapters through ``testgate ingest``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from testgate.testing import Project


def test_ingest_security_and_quality_reports(project: Project, fixtures: Path) -> None:
    for rel in (
        "security/bandit__json-empty.json",
        "security/npm-audit-v7__many.json",
        "security/gitleaks-v8__many.json",
        "lint/eslint__json-juice-shop.json",
        "mutation/strykerjs__svelte.json",
        "complexity/radon__cc-json.json",
        "duplication/jscpd-v4__typescript.json",
    ):
        project.copy(fixtures / rel, Path(rel).name)
    names = sorted(p.name for p in project.root.iterdir())
    project.run("ingest", *names, "-o", "summary.json").assert_success()
    metrics = json.loads((project.root / "summary.json").read_text())["metrics"]
    assert {k: v for k, v in metrics.items() if not k.startswith("tests.")} == {
        "security.critical": 0,
        "security.high": 1,
        "security.medium": 2,
        "security.low": 12,
        "secrets.count": 4,
        "lint.errors": 1,
        "lint.warnings": 1,
        "mutation.score": 64.0,
        "complexity.cyclomatic.max": 8.0,
        "duplication.percent": 9.99,
    }


def test_ingest_refuses_npm_error_document(project: Project, fixtures: Path) -> None:
    project.copy(fixtures / "security/npm-audit__ENOAUDIT-error.json", "audit.json")
    out = project.run("ingest", "audit.json", "-o", "summary.json")
    out.assert_code(2)
    out.fnmatch_lines(["*audit.json: npm audit did not run (ENOAUDIT*"], stream="err")
