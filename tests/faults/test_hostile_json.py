"""Every JSON input is checked for depth and shape before use (issue 12.8): a deep document or
a value of the wrong type is exit 2 naming the file and the key, never a traceback."""

from __future__ import annotations

import json
import sqlite3

import pytest

from testgate.testing import Project

DEEP = "[" * 100_000 + "]" * 100_000


def _summary(project: Project) -> dict[str, object]:
    project.write(
        "reports/junit.xml",
        '<testsuite name="s" tests="2"><testcase classname="c" name="a"/>'
        '<testcase classname="c" name="b"/></testsuite>',
    )
    project.run("ingest", "reports/junit.xml", "-o", "s.json").assert_success()
    doc = json.loads((project.root / "s.json").read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("history", "record", "deep.json", "--db", "sqlite:///h.db"), "deep.json:"),
        (("ingest", "--format", "k6", "deep.json"), "deep.json: JSON nested too deeply"),
        (("ingest", "--format", "coveragepy-json", "deep.json"), "deep.json: JSON nested"),
        (("ingest", "--format", "jest-json", "deep.json"), "deep.json: JSON nested"),
    ],
)
def test_deep_json_is_an_input_error(
    project: Project, args: tuple[str, ...], expected: str
) -> None:
    project.write("deep.json", DEEP)
    out = project.run(*args)
    out.assert_code(2)
    assert expected in out.err
    assert "Traceback" not in out.err
    assert "RecursionError" not in out.err


def test_deep_go_test_event_names_its_line(project: Project) -> None:
    project.write("go.json", '{"Action":"run","Test":"T"}\n{"a":' + DEEP + "}\n")
    out = project.run("ingest", "--format", "gotest", "go.json")
    out.assert_code(2)
    assert "go.json:2:" in out.err


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["run"].__setitem__("id", ["a", "b"]), "run.id"),
        (lambda d: d["run"].__setitem__("vcs", {"branch": {"x": 1}}), "run.vcs.branch"),
        (lambda d: d.__setitem__("metrics", {"tests.total": "12"}), "metrics.tests.total"),
        (lambda d: d["tests"][1].__setitem__("name", {"x": 1}), "tests.1.name"),
        (lambda d: d["tests"][0].__setitem__("status", "green"), "tests.0.status"),
        (lambda d: d.__setitem__("steps", [{"stage": 1}]), "steps.0.stage"),
    ],
)
def test_summary_of_the_wrong_shape_names_the_key(
    project: Project, mutate: object, key: str
) -> None:
    doc = _summary(project)
    assert callable(mutate)
    mutate(doc)
    # both layouts: one JSON document per line (as testgate writes it) and indented by hand
    for indent in (None, 2):
        project.write("bad.json", json.dumps(doc, indent=indent))
        out = project.run("history", "record", "bad.json", "--db", "sqlite:///h.db")
        out.assert_code(2)
        assert f"bad.json: {key}: expected" in out.err
        assert "Traceback" not in out.err
    # nothing was recorded
    db = project.root / "h.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from runs").fetchone() == (0,)
