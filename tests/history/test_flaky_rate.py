"""One meaning of flaky (issue 10, 2.13): ``history.flaky_rate`` is the share of the tests seen
in the window that flipped on one commit, a metric for gates and alerts (the seed's
``flaky_test_threshold`` alert fires from the history); retries inside a run are
``tests.retried``; the charts and the flaky table show the same numbers."""

from __future__ import annotations

import json

from testgate.history import open_store
from testgate.model import ReportData, ReportRef, Run, TestCase, write_summary
from testgate.server.app import create_app
from testgate.testing import Project

from ..server._live import live_server
from ..server.test_dashboard import get

CONFIG = """\
alerts:
  - name: flaky_test_threshold
    condition: "flaky_rate > 2%"
    severity: high
gates:
  stability:
    criteria:
      flaky: {metric: history.flaky_rate, threshold: "<= 2%"}
"""

COMMIT = "a" * 40


def _run(i: int, *, commit: str, wobbly: str, retried: bool = False) -> Run:
    run = Run(id=f"run-{i}", started_at=f"2026-02-0{i + 1}T10:00:00+00:00")
    run.vcs.branch, run.vcs.commit = "main", commit
    tests = [TestCase("s", "tests.test_shop", f"test_{k}") for k in range(9)]
    tests.append(
        TestCase(
            "s",
            "tests.test_shop",
            "test_wobbly",
            status=wobbly,
            flaky=retried,
            attempts=2 if retried else 1,
        )
    )
    run.absorb(ReportData(tests=tests), ReportRef("junit.xml", "junit", "tests"))
    run.finalize()
    return run


def test_retries_inside_a_run_are_tests_retried_not_the_flaky_rate(project: Project) -> None:
    project.write("testgate.yaml", CONFIG)
    for i in range(2):
        write_summary(
            _run(i, commit=f"{i:040x}", wobbly="passed", retried=True), project.root / f"{i}.json"
        )
        out = project.run("history", "record", f"{i}.json").assert_success()
        assert "ALERT" not in out.out
    summary = json.loads((project.root / "1.json").read_text())
    assert summary["metrics"]["tests.retried"] == 1
    with open_store(f"sqlite:///{project.root / '.testgate/history.db'}") as store:
        (latest, _) = store.runs(limit=2)
        assert latest.metrics["history.flaky_rate"] == 0.0


def test_a_flip_on_one_commit_fires_the_seed_alert_and_fails_the_gate(project: Project) -> None:
    project.write("testgate.yaml", CONFIG)
    write_summary(_run(0, commit=COMMIT, wobbly="passed"), project.root / "0.json")
    write_summary(_run(1, commit=COMMIT, wobbly="failed"), project.root / "1.json")
    project.run("history", "record", "0.json").assert_success()
    out = project.run("history", "record", "1.json").assert_success()
    # 1 of the 10 tests seen flipped on one commit: 10% > 2%
    out.fnmatch_lines(
        [
            "alert [[]high[]] flaky_test_threshold: flaky_rate > 2%: flaky_rate "
            "(history.flaky_rate) = 10; 10 > 2 holds"
        ]
    )
    # the gate reads the same number from the history
    out = project.run("gate", "--summary", "1.json", "--format", "json").assert_code(3)
    verdict = json.loads(out.out)
    (row,) = verdict["criteria"]
    assert (row["metric"], row["actual"], row["status"]) == ("history.flaky_rate", 10.0, "fail")
    assert (
        "history.flaky_rate 10.00%: 1 of the 10 tests seen in the last 2 runs on main flipped "
        "on one commit"
    ) in verdict["notes"]
    # the trend, the dashboard's chart and its flaky table say the same
    trend = json.loads(project.run("history", "trend", "flaky_rate", "--json").out)
    assert [p["value"] for p in trend["series"]] == [0.0, 10.0]
    db = f"sqlite:///{project.root / '.testgate/history.db'}"
    with open_store(db) as store, live_server(create_app(store)) as url:
        code, body, _ = get(f"{url}/?branch=main")
        assert code == 200
        assert "Flaky rate: tests that flipped on one commit" in body
        assert (
            "history.flaky_rate 10.00%: 1 of the 10 tests seen in the last 2 runs on main "
            "flipped on one commit"
        ) in body
        code, api, _ = get(f"{url}/api/flaky?branch=main")
    data = json.loads(api)
    assert data["flaky_rate"]["flipped"] == ["tests.test_shop::test_wobbly"]
    assert [f["test"] for f in data["flaky"]] == ["tests.test_shop::test_wobbly"]
    assert "same-commit" in data["flaky"][0]["signals"]
