"""``reports:`` are confined to the configuration's folder (issue 12.9): a ``..`` path, an
absolute path elsewhere and a symlink leading out are refused by name, unless
``allow_outside_reports: true``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.testing import Project

JUNIT = '<testsuite name="s" tests="1"><testcase classname="c" name="secret_outside"/></testsuite>'


def _config(report: str, *, allow: bool = False, code: str = "pass") -> str:
    return (
        "version: 1\n" + ("allow_outside_reports: true\n" if allow else "") + "pipeline:\n"
        "  stages:\n"
        "    - name: unit\n"
        "      steps:\n"
        "        - name: t\n"
        f"          run: [python3, -c, {json.dumps(code)}]\n"
        f"          reports: [{json.dumps(report)}]\n"
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.xml").write_text(JUNIT)
    return other / "x.xml"


@pytest.mark.parametrize("how", ["dotdot", "absolute"])
def test_a_report_path_outside_the_root_is_refused(
    project: Project, outside: Path, how: str
) -> None:
    report = "../other/x.xml" if how == "dotdot" else str(outside)
    project.write("testgate.yaml", _config(report))
    out = project.run("run")
    out.assert_code(2)
    assert "testgate.yaml:" in out.err
    assert "pipeline.stages.0.steps.0.reports.0" in out.err
    assert "is outside the configuration's folder" in out.err
    assert "allow_outside_reports: true" in out.err
    assert not (project.root / ".testgate" / "latest" / "summary.json").exists()


def test_a_symlink_leading_out_is_not_read(project: Project, outside: Path) -> None:
    # the step makes the link now (it is fresh, this run's), so only confinement refuses it
    code = f"import os; os.symlink({str(outside)!r}, 'reports/junit.xml')"
    project.write("testgate.yaml", _config("reports/junit.xml", code=code))
    out = project.run("run")
    out.assert_code(2)
    assert "reports/junit.xml: leads outside the configuration's folder" in out.err
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert summary["tests"] == []


def test_allow_outside_reports_reads_them(project: Project, outside: Path) -> None:
    code = f"open({str(outside)!r}, 'w').write({JUNIT!r})"
    project.write("testgate.yaml", _config("../other/x.xml", allow=True, code=code))
    out = project.run("run")
    out.assert_success()
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert [t["name"] for t in summary["tests"]] == ["secret_outside"]


def test_a_report_inside_the_root_is_read(project: Project) -> None:
    code = f"open('reports/junit.xml', 'w').write({JUNIT!r})"
    project.write("testgate.yaml", _config("reports/./junit.xml", code=code))
    project.run("run").assert_success()
