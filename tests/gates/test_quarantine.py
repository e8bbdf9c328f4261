"""Quarantine end to end (issue 10, 2.7): a real pytest run whose only failure is quarantined
exits 0 like an xfail; owner, reason and expiry are required; an expired entry counts again;
quarantine.budget is a gate; the console, the summary, the HTML report, the Markdown summary
and the dashboard mark quarantined tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from testgate.history import open_store
from testgate.server.app import create_app
from testgate.testing import Project

from ..server._live import live_server
from ..server.test_dashboard import get

BAD = "tests.test_shop::test_flaky_checkout"
OTHER = "tests.test_shop::test_broken_cart"

TESTS = """\
import os


def test_ok():
    assert 1 + 1 == 2


def test_flaky_checkout():
    assert False, "payment sandbox timed out"


def test_broken_cart():
    assert os.environ.get("BREAK_CART") != "1", "cart total is wrong"
"""


def _config(entries: str, *, gates: str = "", budget: str = "") -> str:
    run = json.dumps(
        f"{sys.executable} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests"
    )
    return f"""\
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: {run}
          reports: [reports/junit.xml]
quarantine:
{budget}  tests:
{entries}
{gates}"""


ACTIVE = f"""\
    - test: "{BAD}"
      owner: ana
      reason: "INC-42: payment sandbox flakes"
      expires: 2099-12-31
"""


def _project(project: Project, entries: str = ACTIVE, **kw: str) -> Project:
    project.write("tests/__init__.py", "")
    project.write("tests/test_shop.py", TESTS)
    project.write("testgate.yaml", _config(entries, **kw))
    return project


def _summary(project: Project) -> dict[str, Any]:
    data = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert isinstance(data, dict)
    return data


def test_a_quarantined_failure_fails_neither_the_run_nor_the_exit_code(project: Project) -> None:
    _project(project)
    out = project.run("run").assert_success()
    # the console marks it: the step, the test, the counts
    out.fnmatch_lines(
        [
            "*test*unit*quarantined*2 passed, 1 failed (1 quarantined)",
            f"quarantined: {BAD} failed (owner ana, until 2099-12-31: INC-42: payment "
            "sandbox flakes)",
            "testgate: PASSED · 1 steps: 0 passed, 1 failed · 3 tests: 2 passed, 1 failed "
            "(1 quarantined)*",
        ]
    )
    # the summary keeps the failure and says it was quarantined, and by which entry
    summary = _summary(project)
    assert summary["metrics"]["tests.failed"] == 1
    assert summary["metrics"]["quarantine.tests"] == 1
    (entry,) = summary["quarantine"]
    assert entry == {
        "test": BAD,
        "owner": "ana",
        "reason": "INC-42: payment sandbox flakes",
        "expires": "2099-12-31",
        "expired": False,
        "tests": [BAD],
    }


def test_another_failure_still_fails_the_run(project: Project) -> None:
    _project(project)
    project.write("tests/conftest.py", "import os\nos.environ['BREAK_CART'] = '1'\n")
    out = project.run("run").assert_code(1)
    assert out.out.splitlines()[-1].startswith("testgate: FAILED")


def test_the_gates_leave_a_quarantined_failure_out(project: Project) -> None:
    gates = """\
gates:
  tests_gate:
    criteria:
      none_failed: {metric: tests.failed, threshold: "== 0"}
      all_pass: {metric: tests.pass_rate, threshold: "100%"}
"""
    _project(project, gates=gates)
    out = project.run("run").assert_success()
    verdict = _summary(project)["verdict"]
    assert verdict["verdict"] == "pass"
    assert [c["actual"] for c in verdict["criteria"]] == [0.0, 100.0]
    assert "testgate: PASSED" in out.out.splitlines()[-1]


def test_an_expired_entry_counts_again_with_a_warning(project: Project) -> None:
    expired = ACTIVE.replace("2099-12-31", "2020-01-31")
    _project(project, expired)
    out = project.run("run").assert_code(1)
    assert (
        f"testgate: warning: quarantine entry for {BAD} (owner ana) expired on 2020-01-31; its "
        "failures count again"
    ) in out.err
    (entry,) = _summary(project)["quarantine"]
    assert entry["expired"] is True


def test_the_budget_is_a_gate(project: Project) -> None:
    _project(project, budget="  budget: 0\n")
    out = project.run("run").assert_code(3)
    out.fnmatch_lines(["*quarantine_budget*budget*1*<= 0*FAIL*"])
    _project(project, budget="  budget: '50%'\n")
    project.run("run").assert_success()


def test_each_entry_needs_owner_reason_and_expiry_and_known_keys(project: Project) -> None:
    _project(
        project,
        f"""\
    - test: "{BAD}"
      ownr: ana
      expires: 31/12/2099
""",
    )
    out = project.run("validate").assert_code(2)
    out.fnmatch_lines(
        [
            "testgate: error: 4 problems found*",
            "*testgate.yaml:10: quarantine.tests.0.owner: missing required key 'owner'*",
            "*testgate.yaml:10: quarantine.tests.0.reason: missing required key 'reason'*",
            "*testgate.yaml:11: quarantine.tests.0.ownr: unknown key 'ownr'; did you mean 'owner'?",
            "*testgate.yaml:12: quarantine.tests.0.expires: got '31/12/2099' (string); "
            "expected a date YYYY-MM-DD",
        ],
        stream="err",
    )


def test_the_html_report_and_the_markdown_summary_mark_it(project: Project) -> None:
    _project(project)
    project.run("run", "--html", "report.html").assert_success()
    html = (project.root / "report.html").read_text()
    assert "Quarantine: 1 entry, 1 quarantined failure" in html
    assert '"quarantine": {"owner": "ana"' in html or '"quarantine":{"owner":"ana"' in html
    assert "GATE" not in html.split('id="verdict"')[1][:200]  # no gates: the run's own verdict
    assert ">PASSED<" in html
    project.run("report", "--format", "markdown", "-o", "summary.md").assert_success()
    md = (project.root / "summary.md").read_text()
    assert "✅ **All tests passed**" in md
    assert f"⏸️ quarantined: {BAD}" in md
    assert "Quarantined (owner ana, until 2099-12-31)" in md


def test_the_dashboard_marks_it(project: Project, tmp_path: Path) -> None:
    _project(project)
    project.run("run", "--db", str(tmp_path / "h.db")).assert_success()
    with open_store(str(tmp_path / "h.db")) as store:
        (info,) = store.runs()
        assert info.status == "passed"
        with live_server(create_app(store)) as url:
            code, body, _ = get(f"{url}/runs/{info.id}")
            _, runs, _ = get(f"{url}/api/runs?branch=")
            _, test_page, _ = get(f"{url}/tests?id={quote(BAD)}")
    # the run list marks the run, the test's page says who quarantined it until when
    assert {"kind": "quarantine", "text": "quarantine excused 1 failure(s) (owner ana)"} in (
        json.loads(runs)[0]["marks"]
    )
    assert 'id="quarantine">quarantined by ana until 2099-12-31: INC-42' in test_page
    # the run's page is its HTML report: the quarantine section, and the failure's quarantine
    # in the data its script renders (tests/browser checks what the browser shows)
    assert code == 200
    assert "1 quarantined failure (they fail neither the run nor the gates)" in body
    assert (
        '"quarantine":{"owner":"ana","reason":"INC-42: payment sandbox flakes",'
        '"expires":"2099-12-31"}' in body
    )
