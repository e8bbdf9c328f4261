from __future__ import annotations

from testgate.adapters import read_report
from testgate.model import write_summary
from testgate.testing import Project

from ._runs import XSS_NAME, hostile_run


def test_merged_junit_reads_back_as_the_same_tests(project: Project) -> None:
    run = hostile_run()
    write_summary(run, project.root / "summary.json")
    project.run("report", "--summary", "summary.json", "-f", "junit", "-o", "out/all.xml")
    data, ref = read_report(project.root / "out/all.xml")
    assert ref.format == "junit"
    assert [(t.id, t.status) for t in data.tests] == [(t.id, t.status) for t in run.tests]
    flaky = [t for t in data.tests if t.flaky]
    assert [t.name for t in flaky] == ["test_retry"]
    assert any(t.name == XSS_NAME for t in data.tests)


def test_merged_junit_to_stdout(project: Project) -> None:
    write_summary(hostile_run(), project.root / "summary.json")
    out = project.run("report", "--summary", "summary.json", "-f", "junit").assert_success()
    assert out.out.startswith("<?xml")
    assert "&lt;img src=x onerror=alert(1)&gt;" in out.out
