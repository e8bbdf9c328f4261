"""An empty report is a clean report: a lint or security scan that found nothing is read as
zero findings, and a gate on it passes (issue 10, 2.6). Real ruff and bandit runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from testgate.adapters.registry import default_registry, guess_format
from testgate.testing import Project

PY = sys.executable


def _config(run: str, report: str, gate: str) -> str:
    return f"""
pipeline:
  stages:
    - name: check
      steps:
        - name: scan
          run: {json.dumps(run)}
          reports: [{report}]
gates:
  clean:
    criteria:
      found: {{metric: {gate}, threshold: "== 0"}}
"""


def _summary(project: Project) -> dict[str, object]:
    data = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert isinstance(data, dict)
    return data


def test_ruff_finding_nothing_writes_an_empty_list_that_passes_a_lint_gate(
    project: Project,
) -> None:
    project.write("pkg/clean.py", "VALUE = 1\n")
    # the file name says nothing; the step's command says ruff wrote it
    project.write(
        "testgate.yaml",
        _config(
            f"{PY} -m ruff check pkg --output-format json -o reports/lint.json",
            "reports/lint.json",
            "lint.errors",
        ),
    )
    out = project.run("run", "--no-record").assert_success()
    assert (project.root / "reports/lint.json").read_text().strip() == "[]"
    summary = _summary(project)
    assert summary["run"]["reports"] == [  # type: ignore[index]
        {"path": "reports/lint.json", "format": "ruff", "kind": "lint", "step": "check/scan"}
    ]
    metrics = summary["metrics"]
    assert (metrics["lint.errors"], metrics["lint.warnings"]) == (0, 0)  # type: ignore[index]
    assert "testgate: PASSED" in out.out.splitlines()[-1]


def test_a_ruff_report_that_is_an_empty_list_is_read_by_its_file_name(project: Project) -> None:
    project.write("pkg/clean.py", "VALUE = 1\n")
    project.write(
        "testgate.yaml",
        _config(
            f"{PY} -m ruff check pkg --output-format json -o reports/ruff.json",
            "reports/ruff.json",
            "lint.errors",
        ),
    )
    project.run("run", "--no-record").assert_success()
    project.run("ingest", "reports/ruff.json", "-o", "s.json").assert_success()
    assert json.loads((project.root / "s.json").read_text())["metrics"]["lint.errors"] == 0


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_bandit_finding_nothing_is_zero_vulnerabilities(project: Project, fmt: str) -> None:
    project.write("pkg/clean.py", "VALUE = 1\n")
    project.write(
        "testgate.yaml",
        _config(
            f"{PY} -m bandit -q -r pkg -f {fmt} -o reports/scan.{fmt}",
            f"reports/scan.{fmt}",
            "security.high",
        ),
    )
    project.run("run", "--no-record").assert_success()
    metrics = _summary(project)["metrics"]
    assert {k: v for k, v in metrics.items() if k.startswith("security.")} == {  # type: ignore[union-attr]
        "security.critical": 0,
        "security.high": 0,
        "security.medium": 0,
        "security.low": 0,
    }


def test_a_report_whose_content_and_names_say_nothing_is_still_refused(project: Project) -> None:
    project.write("out.json", "[]\n")
    out = project.run("ingest", "out.json").assert_code(2)
    assert "cannot tell which report format this is" in out.err


@pytest.mark.parametrize(
    ("name", "command", "expected"),
    [
        ("ruff.json", None, "ruff"),
        ("eslint-report.json", None, "eslint"),
        ("lint.json", "npx eslint -f json -o lint.json src", "eslint"),
        ("lint.json", "ruff check . --output-format json -o lint.json", "ruff"),
        ("scan.json", "bandit -r src -f json -o scan.json", "bandit"),
        ("out.json", "pytest --junitxml=j.xml --benchmark-json=out.json", "pytest-benchmark"),
        ("x.json", "make lint", None),
        ("gruffalo.json", None, None),
    ],
)
def test_the_file_name_or_the_command_names_the_format(
    name: str, command: str | None, expected: str | None
) -> None:
    names = default_registry().names()
    assert guess_format(Path(name), command, names) == expected
