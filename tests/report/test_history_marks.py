"""History where people look: every failed test carries its history mark (new, broken since,
known flaky, quarantined, fixed) in the HTML report, the Markdown summary and the GitHub
annotations, and the summary leads with what changed against the base run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from testgate.history.store import open_store
from testgate.model import Run, read_summary, write_summary
from testgate.testing import Project

from ..history._runs import BROKEN, BROKEN_AT, FLAKY, HEALTHY, Suite, case, commit_of, make_run, tid


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[str, Run, list[str]]:
    """30 recorded runs of the history suite, and run 30 (not recorded yet): the broken test
    still fails, the first flaky test fails, test_ok_00 fails for the first time, and the
    flaky tests that failed in run 29 pass (fixed)."""
    runs = Suite().build()
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url) as store:
        for r in runs:
            store.record(r)
    failed_last = [t.name for t in runs[-1].tests if t.status == "failed" and t.name in FLAKY]
    tests = [case(n) for n in HEALTHY]
    tests[0] = case(HEALTHY[0], "failed")
    tests += [case(n, "failed" if n == FLAKY[0] else "passed") for n in FLAKY]
    tests.append(case(BROKEN, "failed"))
    tests.append(case("test_brand_new", duration=1.5))
    run = make_run(30, tests)
    fixed = sorted(tid(n) for n in failed_last if n != FLAKY[0])
    return url, run, fixed


def test_every_failure_carries_its_mark_in_html_markdown_and_annotations(
    project: Project, recorded: tuple[str, Run, list[str]]
) -> None:
    url, run, fixed = recorded
    assert fixed, "the seeded history has a flaky test that failed in run 29 and passes now"
    write_summary(run, project.root / "summary.json")
    project.run("report", "--summary", "summary.json", "--db", url, "-o", "r.html").assert_success()
    doc = lxml_html.fromstring((project.root / "r.html").read_text())
    data = json.loads(doc.get_element_by_id("tg-data").text)
    marks = {f["id"]: f["mark"] for f in data["failures"]}
    assert marks[tid(HEALTHY[0])]["kind"] == "new"
    assert marks[tid(HEALTHY[0])]["text"] == "new: first failure in the last 30 recorded runs"
    broken = marks[tid(BROKEN)]
    assert broken["kind"] == "broken"
    assert broken["since_commit"] == commit_of(BROKEN_AT)
    assert broken["text"] == f"broken since commit {commit_of(BROKEN_AT)[:10]} (2026-03-01)"
    flaky = marks[tid(FLAKY[0])]
    assert flaky["kind"] == "flaky"
    assert flaky["flips"] >= 2
    assert flaky["last_flips"]
    assert flaky["text"].startswith("known flaky (score ")
    # the test rows carry the mark too (the table filters by it); fixed tests are marked
    codes = data["marks"]
    names = data["tests"]["rows"]
    by_name = {r[2]: codes[r[8]] for r in names if len(r) > 8}
    assert by_name[HEALTHY[0]] == "new"
    assert by_name[BROKEN] == "broken"
    assert sorted(f"tests.test_app::{n}" for n, k in by_name.items() if k == "fixed") == fixed
    assert [f["test"] for f in data["history"]["fixed"]] == fixed

    md = project.run("report", "--summary", "summary.json", "--db", url, "-f", "markdown")
    md.assert_success()
    text = md.out
    changes = text.index("### Changes against main run `run-main-029`")
    assert changes < text.index("### Failing tests")
    assert f"- **1** new failure(s): `{tid(HEALTHY[0])}`" in text.replace("\\_", "_")
    assert f"- **{len(fixed)}** fixed test(s)" in text
    assert "slowest new tests: `tests.test\\_app::test\\_brand\\_new` 1.50s" in text
    assert "line coverage 57.5% (+0.0 points against 57.5%)" in text
    assert f"🔴 broken since commit {commit_of(BROKEN_AT)[:10]}" in text
    assert "🆕 new: first failure in the last 30 recorded runs" in text
    assert "🎲 known flaky (score" in text

    gh = project.run("report", "--summary", "summary.json", "--db", url, "-f", "github")
    gh.assert_success()
    lines = [x for x in gh.out.splitlines() if "test_broken_parser" in x]
    assert len(lines) == 1
    assert (
        "title=testgate%3A failed test "
        f"(broken since commit {commit_of(BROKEN_AT)[:10]} (2026-03-01))" in lines[0]
    )


def test_the_merged_junit_carries_the_marks_where_gitlab_shows_them(
    project: Project, recorded: tuple[str, Run, list[str]]
) -> None:
    """GitLab's merge request test report (and Jenkins') shows a failed case's system-out:
    the merged JUnit carries each failure's history mark there and as a property."""
    from lxml import etree

    url, run, _ = recorded
    write_summary(run, project.root / "summary.json")
    args = ("report", "--summary", "summary.json", "-f", "junit", "-o", "merged.xml")
    project.run(*args, "--db", url).assert_success()
    doc = etree.parse(str(project.root / "merged.xml"))

    def shown(name: str) -> tuple[str | None, str | None]:
        (case_el,) = doc.xpath("//testcase[@name=$n]", n=name)
        out = case_el.findtext("system-out")
        prop = case_el.xpath("properties/property[@name='testgate.history']/@value")
        return out, prop[0] if prop else None

    out, prop = shown(BROKEN)
    assert out == f"testgate history: broken since commit {commit_of(BROKEN_AT)[:10]} (2026-03-01)"
    assert prop == out.removeprefix("testgate history: ")
    assert (
        shown(HEALTHY[0])[0] == "testgate history: new: first failure in the last 30 recorded runs"
    )
    assert (shown(FLAKY[0])[0] or "").startswith("testgate history: known flaky (score ")
    assert shown(HEALTHY[1]) == (None, None)  # a passing test carries nothing
    # the merged file still reads back as the same tests
    project.run("ingest", "merged.xml", "-o", "again.json").assert_success()
    again = read_summary(project.root / "again.json")
    assert [t.id for t in again.tests if t.status == "failed"] == [
        t.id for t in run.tests if t.status == "failed"
    ]
    project.run(*args, "--no-history", "--db", url).assert_success()
    assert b"testgate history" not in (project.root / "merged.xml").read_bytes()


def test_without_history_no_mark_is_invented(
    project: Project, recorded: tuple[str, Run, list[str]]
) -> None:
    _, run, _ = recorded
    write_summary(run, project.root / "summary.json")
    md = project.run("report", "--summary", "summary.json", "--no-history", "-f", "markdown")
    md.assert_success()
    assert "Changes against" not in md.out
    assert "new: first failure" not in md.out


def test_a_quarantined_failure_says_so_and_keeps_what_the_history_knows(
    recorded: tuple[str, Run, list[str]],
) -> None:
    from testgate.history.view import history_view
    from testgate.report.data import report_data
    from testgate.report.markdown import render_markdown

    url, run, _ = recorded
    run.quarantine = [
        {"test": tid(BROKEN), "owner": "ana", "reason": "parser rewrite", "expires": "2026-04-01"}
        | {"tests": [tid(BROKEN)], "expired": False}
    ]
    with open_store(url) as store:
        view = history_view(store, branch="main", run=run)
    data = report_data(run, history=view)
    mark = next(f["mark"] for f in data["failures"] if f["id"] == tid(BROKEN))
    assert mark["kind"] == "quarantined"
    assert mark["text"] == "quarantined (owner ana, until 2026-04-01)"
    assert mark["history"]["kind"] == "broken"
    md = render_markdown(run, history=view)
    line = next(x for x in md.splitlines() if "test_broken_parser" in x and "summary" in x)
    assert line.startswith("<details><summary>⏸️ quarantined: tests.test_app::test_broken_parser")
    assert f"broken since commit {commit_of(BROKEN_AT)[:10]}" in line


def test_recommendations_are_actionable() -> None:
    from testgate.report.data import recommendations

    insights = {
        "improvements": [
            {
                "type": "performance",
                "tests": [
                    {
                        "test": "t.fast",
                        "problem": "slow",
                        "recommendation": "optimise it",
                        "evidence": {"p50_s": 0.001, "share": 0.4, "runs": 30},
                    },
                    {
                        "test": "t.once",
                        "problem": "slow",
                        "recommendation": "optimise it",
                        "evidence": {"p50_s": 3.0, "share": 0.4, "runs": 1},
                    },
                    {
                        "test": "t.heavy",
                        "problem": "slow",
                        "recommendation": "optimise it",
                        "evidence": {"p50_s": 2.5, "share": 0.3, "runs": 30},
                    },
                ],
            },
            {
                "type": "reliability",
                "tests": [
                    {
                        "test": "t.never",
                        "problem": "broken",
                        "recommendation": "never passed: fix it",
                        "evidence": {"passed_before": False, "runs": 12},
                    },
                    {
                        "test": "t.broke",
                        "problem": "broken",
                        "recommendation": "revert that",
                        "evidence": {"passed_before": True, "runs": 12},
                    },
                ],
            },
        ]
    }
    recs = recommendations(insights)
    assert [r["what"] for r in recs] == ["t.heavy", "t.never", "t.broke"]
    # the text is the insights' own (they tell a never-passed test from a broken one)
    assert recs[1]["text"] == "never passed: fix it"
    assert recs[2]["text"] == "revert that"


def test_results_by_component_and_the_executive_summary() -> None:
    from testgate.model import StepResult
    from testgate.report.data import components
    from testgate.report.html import exec_summary

    tests = [case("test_a", step="unit/pytest"), case("test_b", "failed", 0.5, step="unit/pytest")]
    run = make_run(0, tests)
    run.steps = [StepResult("unit", "pytest", "failed", exit_code=1, duration_s=2.0)]
    run.metrics["coverage.component.pytest"] = 81.25
    run.metrics["perf.checkout.p95_ms"] = 180.0
    run.metrics["pipeline.duration_s"] = 2.0
    rows = {c["name"]: c for c in components(run)}
    assert rows["unit/pytest"] == {
        "name": "unit/pytest",
        "status": "failed",
        "tests": 2,
        "failed": 1,
        "time": 0.51,
        "coverage": 81.25,
    }
    assert rows["perf checkout"]["p95_ms"] == 180.0
    assert exec_summary(run) == (
        "2 tests: 1 passed, 1 failed, 0 skipped; in 2.0s; no quality gates configured."
    )


@pytest.mark.postgres
def test_the_marks_on_postgresql(postgres_url: str) -> None:
    """The same marks from a PostgreSQL store (a fresh schema, dropped afterwards)."""
    from testgate.history.view import history_view

    from ..history.conftest import _pg_schema_url

    schema_urls = _pg_schema_url(postgres_url)
    url = next(schema_urls)
    try:
        with open_store(url) as store:
            for r in Suite().build():
                store.record(r)
            tests = [case(n) for n in HEALTHY]
            tests[0] = case(HEALTHY[0], "failed")
            tests += [case(n, "failed" if n == FLAKY[0] else "passed") for n in FLAKY]
            tests.append(case(BROKEN, "failed"))
            view = history_view(store, branch="main", run=make_run(30, tests))
        assert view is not None
        assert {k: m["kind"] for k, m in view.marks.items()} == {
            tid(HEALTHY[0]): "new",
            tid(FLAKY[0]): "flaky",
            tid(BROKEN): "broken",
        }
        assert view.base is not None
        assert view.base["run"] == "run-main-029"
    finally:
        schema_urls.close()
