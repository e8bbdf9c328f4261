"""Names, ids, class names, file paths and properties are capped as messages and traces are
(issue 12.3): a runaway field is cut, the cut says so, and the summary stays small.
(The memory a 200 MB attribute takes is measured by benchmarks/bench_faults.py.)"""

from __future__ import annotations

import json

from testgate.model import MAX_NAME_CHARS, MAX_PATH_CHARS, MAX_PROPERTIES, MAX_PROPERTY_CHARS
from testgate.testing import Project

BIG = 2_000_000


def _junit() -> str:
    props = "".join(f'<property name="p{i}" value="v{i}"/>' for i in range(MAX_PROPERTIES + 5))
    return (
        '<testsuite name="s" tests="2">'
        f'<testcase classname="{"C" * BIG}" name="{"n" * BIG}" file="{"f/" * BIG}">'
        f'<properties><property name="big" value="{"x" * BIG}"/>{props}</properties>'
        "</testcase>"
        '<testcase classname="c" name="ok"/>'
        "</testsuite>"
    )


def test_runaway_fields_are_cut_and_say_so(project: Project) -> None:
    project.write("junit.xml", _junit())
    project.run("ingest", "junit.xml", "-o", "s.json").assert_success()
    summary = project.root / "s.json"
    assert summary.stat().st_size < 100_000  # from 8 MB of attributes
    tests = json.loads(summary.read_text())["tests"]
    assert len(tests) == 2
    big = next(t for t in tests if t["name"] != "ok")
    marker = f"… [{BIG - MAX_NAME_CHARS} more characters cut by testgate]"
    assert big["name"] == "n" * MAX_NAME_CHARS + " " + marker
    assert big["classname"] == "C" * MAX_NAME_CHARS + " " + marker
    assert big["file"].endswith("more characters cut by testgate]")  # (normalised first)
    assert len(big["file"]) < MAX_PATH_CHARS + 100
    assert len(big["id"]) < 4 * MAX_NAME_CHARS + 400
    props = big["properties"]
    assert props["big"].endswith(f"[{BIG - MAX_PROPERTY_CHARS} more characters cut by testgate]")
    assert len(props) == MAX_PROPERTIES + 1
    assert props["testgate.cut"] == "6 more properties cut by testgate"
    # the untouched test is untouched
    ok = next(t for t in tests if t["name"] == "ok")
    assert ok["classname"] == "c"
    # and the history record is small too
    project.run("history", "record", "s.json", "--db", "sqlite:///h.db").assert_success()
    assert (project.root / "h.db").stat().st_size < 2_000_000


def test_the_cut_is_the_same_every_run(project: Project) -> None:
    project.write("junit.xml", _junit())
    project.run("ingest", "junit.xml", "-o", "a.json").assert_success()
    project.run("ingest", "junit.xml", "-o", "b.json").assert_success()
    ids = [
        sorted(t["id"] for t in json.loads((project.root / f).read_text())["tests"])
        for f in ("a.json", "b.json")
    ]
    assert ids[0] == ids[1]  # one identity across runs: history and flaky scores still match
