from __future__ import annotations

import json
from pathlib import Path

from lxml import html as lxml_html

from testgate.model import write_summary
from testgate.testing import Project

from ..server._history import make_run, recorded_history


def test_html_report_charts_the_history_and_lists_flaky_tests(
    project: Project, tmp_path: Path
) -> None:
    store = recorded_history(tmp_path, n=8)
    store.close()
    write_summary(make_run(7, fail_xss=True), project.root / "summary.json")
    db = f"sqlite:///{tmp_path / 'history.db'}"
    project.run("report", "--summary", "summary.json", "--db", db, "-o", "r.html").assert_success()
    doc = lxml_html.fromstring((project.root / "r.html").read_text())
    data = json.loads(doc.get_element_by_id("tg-data").text)
    # what the uPlot charts draw: every series over the 8 recorded runs, with its run ids
    series = data["history"]["series"]
    assert {"tests.pass_rate", "pipeline.duration_s", "tests.retried"} <= set(series)
    assert [p[2] for p in series["tests.pass_rate"]] == [f"run-{i:02d}" for i in range(8)]
    # each run of this history has its own commit: no test flipped on one commit
    rate = data["history"]["flaky_rate"]
    assert (rate["rate"], rate["flipped"], rate["seen"], rate["runs"]) == (0.0, [], 12, 8)
    assert [f["test"] for f in data["history"]["flaky"]] == ["tests.test_cart::test_wobbly"]
    assert data["history"]["slow"][0]["test"] == "tests.test_cart::test_9"


def test_without_a_store_the_report_says_so(project: Project) -> None:
    write_summary(make_run(0, fail_xss=False), project.root / "summary.json")
    project.run("report", "--summary", "summary.json", "-o", "r.html").assert_success()
    assert "No history store was given" in (project.root / "r.html").read_text()
    assert not (project.root / ".testgate/history.db").exists()  # reading never creates one
