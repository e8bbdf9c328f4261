"""``testgate run`` end to end: output, reports, summary files and their JSON Schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from testgate.model import read_summary
from testgate.schemas import summary_schema
from testgate.testing import Project

PYTEST_SUITE = """
import pytest

def test_one():
    assert 1 + 1 == 2

def test_two():
    assert "a" in "abc"

def test_broken():
    assert 2 + 2 == 5

@pytest.mark.skip(reason="not today")
def test_later():
    pass
"""


PYTEST_STEP = (
    "- {name: pytest, reports: [out/unit.xml], "
    'run: "python -m pytest suite -q -p no:cacheprovider --junitxml=out/unit.xml"}'
)


def test_plain_lines_table_tails_and_verdict(project: Project) -> None:
    project.write("suite/test_math.py", PYTEST_SUITE)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: lint
              steps:
                - name: check
                  run: echo looks fine
            - name: unit
              depends_on: [lint]
              steps:
                {PYTEST_STEP}
            - name: deploy
              depends_on: [unit]
              steps:
                - {{name: ship, run: "true"}}
        """,
    )
    out = project.run("run", "--workers", "2")
    out.assert_code(1)
    out.fnmatch_lines(
        [
            "*] start lint/check",
            "*] pass lint/check *s",
            "*] start unit/pytest",
            "*] fail unit/pytest *s (exit 1)",
            "*] skip deploy/ship (stage 'unit' failed)",
            "stage * step * status * duration * tests",
            "lint * check * passed * *s",
            "unit * pytest * failed * *s * 2 passed, 1 failed, 1 skipped",
            "deploy * ship * skipped",
            "── unit/pytest failed: last lines of .testgate/runs/*/logs/unit__pytest.log",
            "*test_broken*",
            "testgate: FAILED · 3 steps: 1 passed, 1 failed, 1 skipped · 4 tests: 2 passed, "
            "1 failed, 1 skipped · *s · summary: .testgate/runs/*/summary.json",
        ]
    )
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert run.metrics["tests.total"] == 4
    assert run.metrics["tests.failed"] == 1
    assert run.metrics["steps.failed"] == 1
    assert "pipeline.duration_s" in run.metrics
    unit = run.steps[1]
    assert unit.reports == ["out/unit.xml"]
    assert run.reports[0].path == "out/unit.xml"
    assert run.reports[0].step == "unit/pytest"
    assert {t.step for t in run.tests} == {"unit/pytest"}


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3" failures="1" errors="0" skipped="1">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="3" time="0.01"/>
<testcase classname="tests.test_a" name="test_bad" time="0.02"><failure message="boom">trace
</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""

COBERTURA = """<?xml version="1.0" ?>
<coverage version="7.4" timestamp="1" lines-valid="4" lines-covered="3" line-rate="0.75"
 branches-valid="2" branches-covered="1" branch-rate="0.5" complexity="0">
<sources><source>src</source></sources>
<packages><package name="pkg" line-rate="0.75" branch-rate="0.5" complexity="0"><classes>
<class name="mod.py" filename="pkg/mod.py" line-rate="0.75" branch-rate="0.5" complexity="0">
<methods/><lines>
<line number="1" hits="1"/><line number="2" hits="1"/>
<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>
<line number="4" hits="0"/>
</lines></class></classes></package></packages></coverage>
"""


def test_summary_files_exist_and_validate_against_the_schema(project: Project) -> None:
    project.write("fixtures/junit.xml", JUNIT)
    project.write("fixtures/coverage.xml", COBERTURA)
    project.write(
        "testgate.yaml",
        """
        project: schema-check
        pipeline:
          stages:
            - name: unit
              steps:
                - name: tests
                  run: cp fixtures/junit.xml fixtures/coverage.xml out/
                  reports: [out/junit.xml, {path: out/coverage.xml, format: cobertura}]
                - {name: other, run: "true", when: "branch == 'never-such-branch'"}
        """,
    )
    project.run("run", "-q").assert_code(1)
    latest = project.root / ".testgate/latest/summary.json"
    data = json.loads(latest.read_text())
    run_dir = project.root / ".testgate/runs" / data["run"]["id"]
    assert json.loads((run_dir / "summary.json").read_text()) == data
    schema = summary_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["run"]["project"] == "schema-check"
    assert data["run"]["interrupted"] is False
    assert data["steps"][1]["status"] == "skipped"
    assert data["steps"][1]["reason"] == "when: branch == 'never-such-branch' is false"
    assert data["metrics"]["tests.total"] == 3
    assert data["metrics"]["coverage.line"] == 75.0
    assert data["metrics"]["coverage.branch"] == 50.0
    assert {r["format"] for r in data["run"]["reports"]} == {"junit", "cobertura"}
    # a summary that breaks the contract does not validate
    data["steps"][0]["status"] = "exploded"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_a_promised_report_that_was_not_written_is_noted(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - {name: lazy, run: "true", reports: [out/never-*.xml]}
        """,
    )
    out = project.run("run")
    out.assert_success()
    out.fnmatch_lines(["*] warning: s/lazy: report 'out/never-*.xml' was not written"])
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert run.steps[0].reason == "report 'out/never-*.xml' was not written"


def test_an_unreadable_report_is_one_error_line_and_exit_2(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - name: broken
                  run: mkdir -p out && printf '<testsuite><testcase' > out/r.xml
                  reports: [{path: out/r.xml, format: junit}]
                - {name: fine, run: "true"}
        """,
    )
    out = project.run("run")
    out.assert_code(2)
    errors = [line for line in out.err.splitlines() if line.startswith("testgate: error:")]
    assert len(errors) == 1, out.err
    assert "s/broken: report out/r.xml:" in errors[0]
    assert (project.root / ".testgate/latest/summary.json").exists()
    out.fnmatch_lines(["testgate: ERROR · * · 1 report could not be read · *"])


def test_stage_and_step_selection(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: build
              steps: [{name: compile, run: exit 1}]
            - name: test
              depends_on: [build]
              steps:
                - {name: unit, run: "true"}
                - {name: e2e, run: "true"}
        """,
    )
    # the failing 'build' stage is not selected: it neither runs nor blocks
    project.run("run", "--stage", "test").assert_success()
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert [(s.stage, s.name, s.status) for s in run.steps] == [
        ("test", "unit", "passed"),
        ("test", "e2e", "passed"),
    ]
    project.run("run", "--step", "test/e2e").assert_success()
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert [s.name for s in run.steps] == ["e2e"]
    out = project.run("run", "--step", "nope")
    out.assert_code(2)
    assert "--step nope: no such step" in out.err


def test_when_conditions_on_stages_and_steps(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUN_NIGHTLY", "1")
    monkeypatch.setenv("TESTGATE_EVENT", "push")
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: nightly
              when: env.RUN_NIGHTLY == '1'
              steps:
                - {name: soak, run: "true"}
                - {name: pr-only, run: "true", when: "event == 'pull_request'"}
            - name: release
              conditional: "event == 'tag'"
              steps: [{name: publish, run: "true"}]
        """,
    )
    project.run("run").assert_success()
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert [(s.name, s.status, s.reason) for s in run.steps] == [
        ("soak", "passed", None),
        ("pr-only", "skipped", "when: event == 'pull_request' is false"),
        ("publish", "skipped", "when: event == 'tag' is false"),
    ]


def test_matrix_expansion_and_substitution(project: Project) -> None:
    for v in ("a", "b"):
        (project.root / f"dir-{v}").mkdir(parents=True)
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: unit
              steps:
                - name: test
                  matrix:
                    flavour: [a, b]
                    n: [1, 2]
                  cwd: dir-${{ matrix.flavour }}
                  env: {N: "${{ matrix.n }}"}
                  run: echo "${{ matrix.flavour }}-$N" > out-$N.txt
                  reports: ["dir-${{ matrix.flavour }}/absent-${{ matrix.n }}.xml"]
        """,
    )
    out = project.run("run", "--workers", "2")
    out.assert_success()
    run = read_summary(project.root / ".testgate/latest/summary.json")
    assert [s.name for s in run.steps] == [
        "test (flavour=a, n=1)",
        "test (flavour=a, n=2)",
        "test (flavour=b, n=1)",
        "test (flavour=b, n=2)",
    ]
    for v in ("a", "b"):
        for n in (1, 2):
            assert (project.root / f"dir-{v}/out-{n}.txt").read_text() == f"{v}-{n}\n"
    assert run.steps[3].reason == "report 'dir-b/absent-2.xml' was not written"
    # the base name selects every combination
    project.run("run", "--step", "test", "-q").assert_success()


def test_help_documents_every_option(project: Project) -> None:
    out = project.run("run", "--help")
    out.assert_success()
    for opt in ("--config", "--workers", "--fail-fast", "--stage", "--step", "--quiet"):
        assert opt in out.out


def test_live_progress_on_a_terminal(project: Project) -> None:
    import os
    import re
    import subprocess
    import sys

    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - {name: a, run: sleep 0.3}
                - {name: b, run: exit 1}
        """,
    )
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "testgate", "run"],
        cwd=project.root,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 1
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert "fail s/b" in text
    assert "pass s/a" in text
    assert "testgate: FAILED" in text
