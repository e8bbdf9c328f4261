"""Gate findings in the formats review tools read: SARIF 2.1.0 (validated against the OASIS
schema), GitLab Code Quality (validated against GitLab's own schema), Checkstyle and GitHub
annotations, from a real pipeline: ruff and pytest run on a repository whose configuration lives
in a subdirectory, so every path must come out relative to the repository root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from testgate.model import Finding, Run, TestCase
from testgate.report.annotations import MAX_ANNOTATIONS, render_github_annotations
from testgate.report.codequality import CODEQUALITY_SEVERITIES, render_codequality
from testgate.report.review import ReviewSource
from testgate.report.sarif import render_sarif
from testgate.testing import Project
from testgate.verdict import CriterionResult, Verdict

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PY = sys.executable

APP = """import os
import sys


def add(a, b):
    return a + b
"""

TESTS = """from app import add


def test_add():
    assert add(1, 2) == 3


def test_add_wrong():
    assert add(2, 2) == 5
"""

CONFIG = f"""\
project: shop
pipeline:
  stages:
    - name: checks
      steps:
        - name: ruff
          run: >-
            {PY} -m ruff check --no-cache --output-format json --exit-zero src
            > reports/ruff.json
          reports: [reports/ruff.json]
        - name: audit
          run: cp audit-fixture.json reports/audit.json
          reports: [{{path: reports/audit.json, format: pip-audit}}]
        - name: pytest
          run: >-
            {PY} -m pytest -q -p no:cacheprovider -o junit_family=xunit1
            --junitxml=reports/junit.xml --rootdir=. tests
          env: {{PYTHONPATH: src}}
          reports: [reports/junit.xml]
gates:
  test_gate:
    criteria:
      tests.failed: "== 0"
  lint_gate:
    criteria:
      lint.errors: "== 0"
    enforcement:
      blocking: false
  coverage_gate:
    criteria:
      overall:
        metric: tests.pass_rate
        threshold: ">= 10%"
"""


def _sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _codequality_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "gitlab-codeclimate.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _assert_valid_codequality(items: Any) -> None:
    assert isinstance(items, list)
    validator = _codequality_validator()
    fingerprints = set()
    for item in items:
        validator.validate(item)
        # what GitLab's docs add to its parser's schema: a known severity, a path and a line,
        # and one issue per fingerprint
        assert item["severity"] in CODEQUALITY_SEVERITIES
        assert isinstance(item["location"]["path"], str)
        assert item["location"]["path"]
        assert isinstance(item["location"]["lines"]["begin"], int)
        assert isinstance(item["check_name"], str)
        assert item["check_name"]
        assert item["fingerprint"] not in fingerprints
        fingerprints.add(item["fingerprint"])


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A git repository with testgate.yaml in svc/, run once: ruff findings, a failing test,
    vulnerable packages without a file, and gates over them."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("review") / "repo"
    svc = repo / "svc"
    project = Project(svc)
    project.write("src/app.py", APP)
    project.write("tests/test_app.py", TESTS)
    project.write("testgate.yaml", CONFIG)
    project.copy(
        FIXTURES / "security" / "pip-audit__dependencies-object.json", "audit-fixture.json"
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    outcome = project.run("run", "--no-record")
    assert outcome.code == 3, outcome.out + outcome.err
    return project


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def test_sarif_validates_and_places_every_result(gated: Project) -> None:
    out = gated.run("gate", "--format", "sarif", "-o", "gate.sarif")
    assert out.code == 3  # the verdict's exit code, whatever the format
    log = json.loads((gated.root / "gate.sarif").read_text(encoding="utf-8"))
    _sarif_validator().validate(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    results = run["results"]
    summary = json.loads((gated.root / ".testgate/latest/summary.json").read_text())
    criteria = [c for c in summary["verdict"]["criteria"] if c["status"] in ("fail", "warn")]
    located = [f for f in summary["findings"] if f.get("path")]
    unlocated = [f for f in summary["findings"] if not f.get("path")]
    assert located
    assert unlocated
    assert criteria
    # one result per failing criterion and per finding with a file, nothing more
    assert len(results) == len(criteria) + len(located)
    by_rule = {r["ruleId"]: r for r in results}
    failed = by_rule["testgate/gate/test_gate/tests.failed"]
    assert failed["level"] == "error"
    loc = failed["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "svc/testgate.yaml", "uriBaseId": "%SRCROOT%"}
    config = gated.root / "testgate.yaml"
    assert loc["region"]["startLine"] == _line_of(config, "tests.failed:")
    lint = by_rule["testgate/gate/lint_gate/lint.errors"]
    assert lint["level"] == "warning"  # a non-blocking gate warns
    assert lint["locations"][0]["physicalLocation"]["region"]["startLine"] == _line_of(
        config, "lint.errors:"
    )
    # ruff's findings point at the repository-relative file and the producer's line
    f401 = [r for r in results if r["ruleId"] == "ruff/F401"]
    assert len(f401) == 2
    for r in f401:
        artifact = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uri"] == "svc/src/app.py"
        assert r["locations"][0]["physicalLocation"]["region"]["startLine"] in (1, 2)
    assert len({r["partialFingerprints"]["testgate/v1"] for r in results}) == len(results)
    # the vulnerable packages have no file: counted, not guessed at
    assert run["properties"]["unlocated_findings"] == len(unlocated)
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert f"{len(unlocated)} finding(s) name no file" in note["message"]["text"]


def test_codequality_validates_against_gitlabs_schema(gated: Project) -> None:
    out = gated.run("gate", "--format", "codequality", "-o", "gl-code-quality.json")
    assert out.code == 3
    items = json.loads((gated.root / "gl-code-quality.json").read_text(encoding="utf-8"))
    _assert_valid_codequality(items)
    by_check = {i["check_name"]: i for i in items}
    gate = by_check["testgate/gate/test_gate/tests.failed"]
    assert gate["severity"] == "blocker"
    assert gate["location"]["path"] == "svc/testgate.yaml"
    assert {i["location"]["path"] for i in items if i["check_name"].startswith("ruff/")} == {
        "svc/src/app.py"
    }


def test_report_command_renders_the_same_formats(gated: Project) -> None:
    """`testgate report --format sarif` works too (the renderers are registered)."""
    out = gated.run("report", "--format", "sarif", "-o", "report.sarif").assert_success()
    assert "wrote report.sarif" in out.err
    log = json.loads((gated.root / "report.sarif").read_text(encoding="utf-8"))
    _sarif_validator().validate(log)
    listed = gated.run("report", "--list").assert_success().out
    for name in ("sarif", "codequality", "checkstyle", "github"):
        assert f"\n{name} " in "\n" + listed


def test_checkstyle_groups_issues_by_file(gated: Project) -> None:
    out = gated.run("gate", "--format", "checkstyle")
    assert out.code == 3
    xml = out.out[out.out.index("<?xml") : out.out.index("</checkstyle>") + len("</checkstyle>")]
    root = etree.fromstring(xml.encode("utf-8"))
    assert root.tag == "checkstyle"
    names = [f.get("name") for f in root.findall("file")]
    assert sorted(names) == ["svc/src/app.py", "svc/testgate.yaml"]
    app = root.find("file[@name='svc/src/app.py']")
    assert app is not None
    assert {e.get("source") for e in app.findall("error")} == {"ruff/F401"}
    assert all(e.get("severity") == "error" for e in app.findall("error"))


def test_github_annotations_point_at_the_failed_test_line(gated: Project) -> None:
    out = gated.run("report", "--format", "github").assert_success().out
    lines = out.splitlines()
    summary = json.loads((gated.root / ".testgate/latest/summary.json").read_text())
    (bad,) = [t for t in summary["tests"] if t["status"] == "failed"]
    # the line the JUnit report gave (pytest's xunit1 writes it 0-based: the JUnit reader, not
    # this renderer, is where that would be corrected)
    test_line = bad["line"]
    assert test_line in (
        _line_of(gated.root / "tests/test_app.py", "def test_add_wrong") - 1,
        _line_of(gated.root / "tests/test_app.py", "def test_add_wrong"),
    )
    failed = [x for x in lines if "title=testgate%3A failed test" in x]
    assert len(failed) == 1
    assert failed[0].startswith(f"::error file=svc/tests/test_app.py,line={test_line},")
    assert "test_add_wrong failed" in failed[0]
    gate = [x for x in lines if x.startswith("::error file=svc/testgate.yaml,")]
    assert gate
    assert "tests.failed is 1, expected == 0" in gate[0]
    assert any(x.startswith("::warning file=svc/testgate.yaml,") for x in lines)  # lint_gate
    assert any(x.startswith("::error file=svc/src/app.py,line=1,") for x in lines)
    assert lines[-1] == "::notice title=testgate::2 tests, 1 failed; gates: FAIL"


# ----------------------------------------------------------------- pure functions, edge cases


def _run(findings: list[Finding], tests: list[TestCase] | None = None) -> Run:
    run = Run(id="r1", project="p", tests=tests or [], findings=findings)
    run.finalize()
    return run


def _verdict(*results: CriterionResult, strict: bool = False) -> Verdict:
    return Verdict(
        passed=False,
        results=list(results),
        gates={r.gate: r.status for r in results},
        blocking={r.gate: r.blocking for r in results},
        strict=strict,
    )


def test_hostile_text_stays_data_in_every_format() -> None:
    evil = "<img src=x onerror=alert(1)>\n::error::owned %0A ]]>"
    run = _run(
        [Finding("semgrep", "r,1", "high", evil, category="lint", path="a b/ü.py", line=3)],
        [TestCase("s", "c", evil, status="failed", file="t.py", line=2, message=evil)],
    )
    sarif = json.loads(render_sarif(run))
    _sarif_validator().validate(sarif)
    (result,) = sarif["runs"][0]["results"]
    assert result["message"]["text"] == f"{evil}"
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20b/%C3%BC.py"
    _assert_valid_codequality(json.loads(render_codequality(run)))
    ann = render_github_annotations(run)
    # every annotation is one line that starts with a command; the test name cannot add one
    for line in ann.splitlines():
        assert line.startswith(("::error ", "::notice "))
    assert ann.count("\n") == len(ann.splitlines())
    assert "%0A::error::owned %250A" in ann


def test_duplicate_findings_get_distinct_fingerprints_stable_across_line_moves() -> None:
    same = [Finding("ruff", "E501", "high", "too long", path="x.py", line=n) for n in (1, 9)]
    a = json.loads(render_codequality(_run(same)))
    moved = [Finding("ruff", "E501", "high", "too long", path="x.py", line=n) for n in (4, 12)]
    b = json.loads(render_codequality(_run(moved)))
    assert len({i["fingerprint"] for i in a}) == 2
    assert [i["fingerprint"] for i in a] == [i["fingerprint"] for i in b]


def test_absolute_and_windows_paths_become_file_uris() -> None:
    run = _run(
        [
            Finding("t", "r", "low", "m", path="/opt/other/x.py", line=1),
            Finding("t", "r", "low", "m", path="C:/a/x.cs", line=1),
        ]
    )
    log = json.loads(render_sarif(run))
    _sarif_validator().validate(log)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]
    ]
    assert uris == [{"uri": "file:///opt/other/x.py"}, {"uri": "file:///C:/a/x.cs"}]


def test_criteria_without_a_known_configuration_are_counted_not_guessed() -> None:
    r = CriterionResult("g", "c", "tests.failed", 1.0, "== 0", "fail")
    run = _run([])
    run.verdict = _verdict(r)
    log = json.loads(render_sarif(run))
    _sarif_validator().validate(log)
    assert log["runs"][0]["results"] == []
    (note,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "1 failing criteria are not listed" in note["message"]["text"]
    placed = json.loads(
        render_sarif(run, source=ReviewSource("ci/testgate.yaml", {"g/c": 7}, prefix="ci"))
    )
    (res,) = placed["runs"][0]["results"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "ci/testgate.yaml"
    assert loc["region"] == {"startLine": 7}


def test_strict_verdict_makes_warnings_errors() -> None:
    r = CriterionResult("g", "c", "lint.warnings", 3.0, "== 0", "warn", level="warn")
    run = _run([])
    run.verdict = _verdict(r, strict=True)
    src = ReviewSource("testgate.yaml", {"g": 2})
    (res,) = json.loads(render_sarif(run, source=src))["runs"][0]["results"]
    assert res["level"] == "error"
    run.verdict = _verdict(r, strict=False)
    (res,) = json.loads(render_sarif(run, source=src))["runs"][0]["results"]
    assert res["level"] == "warning"


def test_annotations_are_capped_with_a_count_of_the_rest() -> None:
    tests = [
        TestCase("s", "c", f"t{i}", status="failed", file="t.py", line=i + 1) for i in range(60)
    ]
    ann = render_github_annotations(_run([], tests)).splitlines()
    assert sum(1 for x in ann if x.startswith("::error ")) == MAX_ANNOTATIONS
    assert "10 more not annotated (10 failed tests, 0 findings)" in ann[-2]
