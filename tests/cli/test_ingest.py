"""``testgate ingest`` and ``testgate formats`` end to end, in-process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from testgate.model import read_summary
from testgate.testing import Project

JUNIT = Path(__file__).parent.parent / "fixtures" / "junit"
OTHER = Path(__file__).parent.parent / "fixtures" / "testformats"


def _copy(project: Project, *names: str, src: Path = JUNIT, under: str = "") -> None:
    for n in names:
        project.copy(src / n, f"{under}{n}")


def test_ingest_merges_reports_into_one_summary(project: Project) -> None:
    _copy(project, "jest-junit__failures.xml", "pytest__horovod-spark-fail.xml", under="results/")
    _copy(project, "nunit3.xml", src=OTHER, under="results/")
    out = project.run("ingest", "results/*.xml", "-o", "out/summary.json", "--commit", "abc123")
    out.assert_success()
    out.fnmatch_lines(
        [
            "*report*format*tests*failed*skipped*",
            "*jest-junit__failures.xml*junit*6*4*1*",
            "*nunit3.xml*nunit*6*2*2*",
            "*pytest__horovod-spark-fail.xml*junit*5*1*1*",
            "*total (3 reports)*17*7*4*",
            "summary written to out/summary.json",
        ]
    )
    run = read_summary(project.root / "out" / "summary.json")
    assert run.metrics["tests.total"] == 17
    # tests.failed counts failures and errors; tests.failures and tests.errors give the split
    assert run.metrics["tests.failed"] == 7
    assert run.metrics["tests.failures"] == 6
    assert run.metrics["tests.errors"] == 1
    assert run.metrics["tests.skipped"] == 4
    assert run.vcs.commit == "abc123"
    assert [r.format for r in run.reports] == ["junit", "nunit", "junit"]
    assert run.id


def test_seed_aggregate_aliases(project: Project) -> None:
    _copy(project, "surefire__flakyFailure.xml", under="test-results/")
    _copy(project, "prove.tap", src=OTHER)
    out = project.run(
        "ingest",
        "--test-reports",
        "test-results/*.xml",
        "--test-reports",
        "prove.tap",
    )
    out.assert_success()
    run = read_summary(project.root / "summary.json")
    assert run.metrics["tests.total"] == 8
    assert run.metrics["tests.flaky"] == 1


def test_bad_report_stops_with_one_line(project: Project) -> None:
    _copy(project, "surefire3__TEST-CorruptTest.xml", "jest-junit__failures.xml")
    out = project.run("ingest", "surefire3__TEST-CorruptTest.xml", "jest-junit__failures.xml")
    out.assert_code(2)
    lines = out.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("testgate: error: surefire3__TEST-CorruptTest.xml:18:")
    assert not (project.root / "summary.json").exists()


def test_keep_going_writes_the_good_reports(project: Project) -> None:
    _copy(project, "surefire3__TEST-CorruptTest.xml", "jest-junit__failures.xml")
    project.write("empty.xml", "")
    out = project.run("ingest", "--keep-going", "*.xml")
    out.assert_code(2)
    out.fnmatch_lines(
        [
            "testgate: error: empty.xml:1: report is empty*",
            "testgate: error: surefire3__TEST-CorruptTest.xml:18: *",
            "testgate: 2 report(s) could not be read: empty.xml, surefire3__TEST-CorruptTest.xml",
        ],
        stream="err",
    )
    run = read_summary(project.root / "summary.json")
    assert run.metrics["tests.total"] == 6
    assert len(run.reports) == 1


def test_hostile_report_leaks_nothing(project: Project) -> None:
    _copy(project, "hostile__xxe.xml")
    out = project.run("ingest", "hostile__xxe.xml")
    out.assert_code(2)  # its root is no report format: not detected at all
    forced = project.run("ingest", "--format", "junit", "hostile__xxe.xml")
    forced.assert_code(2)
    assert "refused: the document declares XML entities" in forced.err
    for o in (out, forced):
        assert "root:" not in o.out + o.err


def test_forced_format_and_unknown_format(project: Project) -> None:
    _copy(project, "bailout.tap", src=OTHER)
    project.copy(OTHER / "bailout.tap", "results.txt")
    project.run("ingest", "--format", "tap", "results.txt").assert_success()
    out = project.run("ingest", "--format", "nosuch", "results.txt")
    out.assert_code(2)
    assert "unknown report format 'nosuch'" in out.err
    assert "junit" in out.err
    assert "trx" in out.err


def test_no_match_and_no_args(project: Project) -> None:
    out = project.run("ingest", "nothing/*.xml")
    out.assert_code(2)
    assert "nothing/*.xml: no report file matches" in out.err
    project.run("ingest").assert_code(2)


def test_undetectable_file(project: Project) -> None:
    project.write("notes.txt", "hello world\n")
    out = project.run("ingest", "notes.txt")
    out.assert_code(2)
    assert "cannot tell which report format" in out.err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_vcs_facts_come_from_git(project: Project) -> None:
    _copy(project, "jest-junit__failures.xml")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    for args in (
        ["init", "-q", "-b", "feature/x"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "c"],
    ):
        subprocess.run(
            ["git", *args], cwd=project.root, check=True, env={**env, "PATH": "/usr/bin:/bin"}
        )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True, check=True
    ).stdout.strip()
    project.run("ingest", "jest-junit__failures.xml").assert_success()
    run = read_summary(project.root / "summary.json")
    assert (run.vcs.commit, run.vcs.branch) == (head, "feature/x")
    project.run("ingest", "jest-junit__failures.xml", "--branch", "main").assert_success()
    assert read_summary(project.root / "summary.json").vcs.branch == "main"


def test_no_git_is_not_an_error(project: Project) -> None:
    _copy(project, "jest-junit__failures.xml")
    project.run("ingest", "jest-junit__failures.xml").assert_success()
    run = read_summary(project.root / "summary.json")
    assert run.vcs.commit is None or len(run.vcs.commit) == 40  # tmp may sit in no repo


def test_formats_lists_every_adapter(project: Project) -> None:
    out = project.run("formats")
    out.assert_success()
    out.fnmatch_lines(["*format*kind*description*"])
    for name in ("junit", "trx", "nunit", "xunit", "tap", "gotest"):
        assert any(line.startswith(name + " ") for line in out.out.splitlines()), name
    js = project.run("formats", "--json")
    js.assert_success()
    rows = json.loads(js.out)
    kinds = {r["name"]: r["kind"] for r in rows}
    assert {kinds[n] for n in ("junit", "trx", "nunit", "xunit", "tap", "gotest")} == {"tests"}
    assert all(r["description"] for r in rows)


def test_help_mentions_every_option(project: Project) -> None:
    out = project.run("ingest", "--help")
    out.assert_success()
    for opt in (
        "--output",
        "--format",
        "--commit",
        "--branch",
        "--root",
        "--keep-going",
        "--project",
        "--test-reports",
        "--coverage-reports",
        "--performance-reports",
        "--security-reports",
    ):
        assert opt in out.out
