"""Outages are not regressions: alerts neither fire on an outage nor compare against one, and a
run marked as an outage leaves the flaky/broken scores."""

from __future__ import annotations

import json

from testgate.model import Coverage, FileCoverage, Run, write_summary
from testgate.testing import Project

from ._runs import Suite, case, make_run

CONFIG = """
pipeline: {stages: []}
alerts:
  - name: coverage_drop
    condition: "coverage.line < previous.coverage.line - 5"
    severity: high
  - name: new_failures
    condition: "tests.failed > previous.tests.failed"
    severity: high
"""


def _run(i: int, *, failed: int, covered: int) -> Run:
    tests = [case(f"test_{k:02d}", "error" if k < failed else "passed") for k in range(20)]
    run = make_run(i, tests)
    cov = Coverage()
    cov.add(FileCoverage("src/app.py", {n: (1 if n <= covered else 0) for n in range(1, 101)}))
    run.coverage = cov
    run.finalize()
    return run


def _record(project: Project, run: Run) -> dict:  # type: ignore[type-arg]
    path = project.root / f"{run.id}.json"
    write_summary(run, path)
    out = project.run("history", "record", path.name, "--json").assert_success()
    return json.loads(out.out)  # type: ignore[no-any-return]


def test_alerts_neither_fire_on_an_outage_nor_compare_against_one(project: Project) -> None:
    project.write("testgate.yaml", CONFIG)
    assert _record(project, _run(0, failed=0, covered=90))["alerts"] == []
    # the database was down: 18 of 20 tests errored, coverage collapsed
    outage = _record(project, _run(1, failed=18, covered=20))
    assert outage["alerts"] == []
    # the next run is back to normal: compared with run 0, not with the outage, nothing fires
    assert _record(project, _run(2, failed=0, covered=90))["alerts"] == []
    # a real regression after that still fires, against the last healthy run
    fired = _record(project, _run(3, failed=2, covered=80))["alerts"]
    assert sorted(a["name"] for a in fired) == ["coverage_drop", "new_failures"]


def test_a_run_marked_as_an_outage_leaves_the_flaky_scores(project: Project) -> None:
    project.write("testgate.yaml", "pipeline: {stages: []}\n")
    runs = Suite(runs=12, rate=0.0).build()
    # run 5 had a few failures of one healthy test (not enough to be an automatic outage)
    runs[5].tests[0].status = "failed"
    runs[7].tests[0].status = "failed"
    for i, run in enumerate(runs):
        path = project.root / f"r{i}.json"
        write_summary(run, path)
        project.run("history", "record", path.name).assert_success()
    doc = json.loads(project.run("flaky", "--json").assert_success().out)
    assert "tests.test_app::test_ok_00" in [f["test"] for f in doc["flaky"]]
    for i in (5, 7):
        out = project.run("history", "mark", runs[i].id, "--outage", "runner lost its disk")
        assert f"run {runs[i].id} marked as an outage: runner lost its disk" in out.out
    doc = json.loads(project.run("flaky", "--json").assert_success().out)
    assert doc["flaky"] == []
    assert sorted(doc["outage_runs"]) == sorted([runs[5].id, runs[7].id])
    project.run("history", "mark", runs[5].id, "--clear-outage").assert_success()
    out = project.run("history", "mark", "nope", "--outage", "x").assert_code(2)
    assert "no run 'nope'" in out.err


def test_a_partial_outage_is_one_cause_and_makes_no_test_flaky(project: Project) -> None:
    """Eight tests of one run fail together with one error (the step's database was down):
    one infrastructure cluster, not eight flaky tests."""
    project.write("testgate.yaml", "pipeline: {stages: []}\n")
    runs = Suite(runs=14, rate=0.0).build()
    down = "psycopg.OperationalError: connection to server at 127.0.0.1:5432 failed: refused"
    for i in (4, 9):
        for t in runs[i].tests[:8]:
            t.status, t.message = "error", down
            t.trace = (
                'Traceback (most recent call last):\n  File "tests/conftest.py", line 12, in db\n'
                f"    return psycopg.connect(URL)\n{down}"
            )
    for i, run in enumerate(runs):
        path = project.root / f"r{i}.json"
        write_summary(run, path)
        project.run("history", "record", path.name).assert_success()
    doc = json.loads(project.run("flaky", "--json").assert_success().out)
    assert doc["flaky"] == []
    assert doc["outage_runs"] == []  # 8 of 40 failed: not a whole-run outage
    clusters = doc["partial_outages"]
    assert sorted(c["run"] for c in clusters) == sorted([runs[4].id, runs[9].id])
    assert all(c["tests"] == 8 for c in clusters)
    assert len({c["fingerprint"] for c in clusters}) == 1  # the same cause both times
