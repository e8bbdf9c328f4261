"""Every exception is recorded (issue 10, 2.10): ``run --bypass REASON`` and ``gate --bypass``
keep the reason, the user and the time in the output, the summary, the HTML report, the
history store and the dashboard."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from testgate.history import open_store
from testgate.server.app import create_app
from testgate.testing import Project

from ..server._live import live_server
from ..server.test_dashboard import get

JUNIT = (
    '<testsuite name="s" tests="2"><testcase classname="t.m" name="a"/>'
    '<testcase classname="t.m" name="b"/></testsuite>'
)

CONFIG = """\
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: [{python}, make_junit.py]
          reports: [junit.xml]
gates:
  size_gate:
    criteria:
      enough: {{metric: tests.total, threshold: ">= 5"}}
    enforcement: {{blocking: true, bypass_allowed: {allowed}}}
"""


@pytest.fixture
def project(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("TESTGATE_USER", "ana")
    project.write("make_junit.py", f"open('junit.xml', 'w').write({JUNIT!r})\n")
    project.write("testgate.yaml", _config("true"))
    return project


def _config(allowed: str) -> str:
    return CONFIG.format(python=json.dumps(sys.executable), allowed=allowed)


def _summary(project: Project) -> dict[str, Any]:
    data = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert isinstance(data, dict)
    return data


def _check_record(bypass: dict[str, Any], reason: str) -> None:
    assert (bypass["reason"], bypass["user"], bypass["gates"], bypass["applied"]) == (
        reason,
        "ana",
        ["size_gate"],
        True,
    )
    at = dt.datetime.fromisoformat(bypass["at"])
    assert abs((dt.datetime.now(dt.timezone.utc) - at).total_seconds()) < 600


def test_run_bypass_is_recorded_everywhere(project: Project, tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    out = project.run(
        "run", "--bypass", "hotfix for INC-7", "--db", db, "--html", "report.html"
    ).assert_success()
    assert "bypassed by ana at " in out.out
    assert ": hotfix for INC-7 (gates: size_gate)" in out.out
    assert "gates: bypassed" in out.out.splitlines()[-1]
    # the summary
    _check_record(_summary(project)["verdict"]["bypass"], "hotfix for INC-7")
    # the HTML report
    html = (project.root / "report.html").read_text()
    assert "GATE PASSED (BYPASSED)" in html
    assert 'id="bypass">Gate bypassed by ana at ' in html
    # the history store and the dashboard
    with open_store(db) as store:
        (info,) = store.runs()
        assert info.verdict == "pass (bypassed)"
        _check_record(info.meta["bypass"], "hotfix for INC-7")
        with live_server(create_app(store)) as url:
            code, body, _ = get(f"{url}/runs/{info.id}")
            assert code == 200
            assert 'id="bypass">Gate bypassed by ana at ' in body
            assert "hotfix for INC-7 (gates: size_gate)" in body
            code, body, _ = get(f"{url}/")
            assert "pass (bypassed)" in body
            # the run list marks it, with who and why
            code, body, _ = get(f"{url}/api/runs?branch=")
            (mark,) = [m for m in json.loads(body)[0]["marks"] if m["kind"] == "bypass"]
            assert mark["text"].startswith("bypassed by ana at ")
            assert mark["text"].endswith(": hotfix for INC-7 (gates: size_gate)")
    # the Markdown summary
    md = project.run("report", "--format", "markdown").assert_success().out
    assert "> ⚠️ **Gate bypassed by ana at " in md


def test_gate_bypass_records_the_exception_on_the_recorded_run(
    project: Project, tmp_path: Path
) -> None:
    db = str(tmp_path / "h.db")
    project.run("run", "--db", db).assert_code(3)
    with open_store(db) as store:
        assert store.runs()[0].verdict == "fail"
    out = project.run("gate", "--bypass", "release train", "--db", db).assert_success()
    assert "testgate verdict: PASS (bypassed)" in out.out
    with open_store(db) as store:
        (info,) = store.runs()
        assert info.verdict == "pass (bypassed)"
        _check_record(info.meta["bypass"], "release train")
    _check_record(_summary(project)["verdict"]["bypass"], "release train")


def test_a_bypass_the_gate_does_not_allow_is_refused(project: Project) -> None:
    project.write("testgate.yaml", _config("false"))
    out = project.run("run", "--bypass", "please", "--no-record").assert_code(2)
    assert "--bypass is not allowed for gate(s) size_gate" in out.err
    out = project.run("gate", "--bypass", "please").assert_code(2)
    assert "--bypass is not allowed for gate(s) size_gate" in out.err
