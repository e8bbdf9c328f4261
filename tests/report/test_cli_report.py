from __future__ import annotations

from pathlib import Path

from testgate.model import write_summary
from testgate.testing import Project

from ._runs import hostile_run


def test_report_html_from_summary(project: Project) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    project.run("report", "--summary", "summary.json", "-o", "out/report.html").assert_success()
    assert "<!doctype html>" in (project.root / "out/report.html").read_text()


def test_report_markdown_to_stdout_and_step_summary(
    project: Project, tmp_path: Path, monkeypatch: object
) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    target = tmp_path / "step_summary.md"
    import os

    os.environ["GITHUB_STEP_SUMMARY"] = str(target)
    try:
        out = project.run(
            "report", "--summary", "summary.json", "--format", "markdown", "--step-summary"
        ).assert_success()
    finally:
        del os.environ["GITHUB_STEP_SUMMARY"]
    assert "## testgate" in out.out
    assert "## testgate" in target.read_text()


def test_report_badges_and_unknown_format(project: Project) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    project.run("report", "--summary", "summary.json", "-f", "badge", "-o", "b").assert_success()
    assert (project.root / "b/tests.svg").exists()
    bad = project.run("report", "--summary", "summary.json", "-f", "pdf").assert_code(2)
    assert "unknown report format 'pdf'" in bad.err


def test_report_missing_summary_is_a_clear_error(project: Project) -> None:
    bad = project.run("report", "--summary", "nope.json").assert_code(2)
    assert "nope.json: no such summary file" in bad.err
