"""Verdict renderers: each format's shape, and hostile test names kept as text everywhere."""

from __future__ import annotations

import json

from lxml import etree

from testgate.gates.evaluate import Verdict, evaluate
from testgate.gates.spec import parse_gates
from testgate.report.verdict import (
    escape_markdown,
    github_escape_data,
    github_escape_property,
    render_github,
    render_json,
    render_junit,
    render_markdown,
    render_text,
)
from tests.gates.runs import gates_yaml, make_run

HOSTILE = "test_<img src=x onerror=alert(1)>|`rm -rf`|100%\r\n::error::pwned"

SPEC = """
tests:
  criteria:
    t: {metric: tests.failed, threshold: "== 0"}
    r: {metric: tests.pass_rate, threshold: ">= 50%"}
cov:
  enforcement: {blocking: false}
  criteria:
    overall: {threshold: ">= 90%"}
sec:
  criteria:
    compliance: {pci_dss: compliant}
"""


def verdict() -> Verdict:
    run = make_run(
        passed=1,
        failed=[(HOSTILE, "<script>alert(2)</script>\nsecond line")],
        coverage={"a.py": {1: 1, 2: 0}},
    )
    return evaluate(parse_gates(gates_yaml(SPEC)), run)


def test_json_has_verdict_and_one_entry_per_criterion() -> None:
    data = json.loads(render_json(verdict()))
    assert data["verdict"] == "fail"
    assert data["exit_code"] == 3
    assert data["bypass"] is None
    keys = {"gate", "criterion", "metric", "actual", "expected", "status", "hint", "blocking"}
    assert all(keys <= set(c) for c in data["criteria"])
    assert [(c["gate"], c["criterion"], c["status"]) for c in data["criteria"]] == [
        ("tests", "t", "fail"),
        ("tests", "r", "pass"),
        ("cov", "overall", "fail"),
        ("sec", "compliance.pci_dss", "not_measured"),
    ]
    assert data["criteria"][0]["hint"].startswith("tests.test_bad::test_<img")
    assert data["gates"] == [
        {"gate": "tests", "status": "fail", "blocking": True},
        {"gate": "cov", "status": "fail", "blocking": False},
        {"gate": "sec", "status": "pass", "blocking": True},
    ]


def test_markdown_escapes_pipes_html_and_backticks() -> None:
    md = render_markdown(verdict())
    assert md.startswith("## ❌ testgate verdict: FAIL")
    assert "<img" not in md
    assert "<script" not in md
    assert "`" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;&#124;&#96;rm -rf&#96;" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == 4 for line in table)  # no cell broke out of its column
    assert "<details><summary><b>tests / t</b>" in md
    assert "Not measured" in md


def test_escape_markdown() -> None:
    assert escape_markdown("a|b`c<d>") == "a&#124;b&#96;c&lt;d&gt;"
    assert escape_markdown("x\ny") == "x y"


def test_github_annotations_escape_per_the_workflow_command_rules() -> None:
    out = render_github(verdict())
    lines = out.splitlines()
    assert lines[0].startswith("::error title=testgate gate tests::t%3A") is False
    assert lines[0].startswith("::error title=testgate gate tests::t: 1, expected == 0%0A")
    assert all("\r" not in line for line in lines)
    assert len(lines) == 3  # two failures (one non-blocking -> warning) and a notice
    assert lines[1].startswith("::warning title=testgate gate cov::")
    assert lines[2].startswith("::notice title=testgate::testgate verdict: FAIL")
    # the hostile name's own "::error::" stays inside the message, never at a line start
    assert sum(line.startswith("::error") for line in lines) == 1
    assert "100%25%0D%0A::error::pwned" in lines[0]
    assert github_escape_data("50%\r\n") == "50%25%0D%0A"
    assert github_escape_property("a:b,c") == "a%3Ab%2Cc"


def test_junit_is_one_testcase_per_criterion_and_parses() -> None:
    xml = render_junit(verdict())
    root = etree.fromstring(xml.encode())
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("tests", "t"),
        ("tests", "r"),
        ("cov", "overall"),
        ("sec", "compliance.pci_dss"),
    ]
    assert root.get("tests") == "4"
    assert root.get("failures") == "2"
    assert cases[0].find("failure") is not None
    assert HOSTILE in cases[0].find("failure").text  # type: ignore[union-attr,operator]
    assert cases[3].find("skipped") is not None


def test_text_is_a_deterministic_fixed_width_table() -> None:
    v = verdict()
    out = render_text(v)
    assert out == render_text(v)
    assert all(len(line) <= 160 for line in out.splitlines())
    assert "\x1b[" not in out
    assert "testgate verdict: FAIL — 2 fail, 1 pass, 1 not measured" in out
    assert "FAIL (non-blocking)" in out.replace("\n", " ") or "(non-blocking)" in out


def test_json_validates_against_the_shipped_verdict_schema() -> None:
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("testgate").joinpath("schemas/verdict.schema.json").read_text())
    jsonschema.validate(json.loads(render_json(verdict())), schema)
    bypassed = evaluate(
        parse_gates(
            gates_yaml(
                "g: {enforcement: {bypass_allowed: true}, "
                "criteria: {t: {metric: tests.failed, threshold: '== 0'}}}"
            )
        ),
        make_run(failed=[("x", "y")]),
        bypass="INC-1",
        strict=True,
    )
    jsonschema.validate(bypassed.to_dict(), schema)


def test_bypass_is_recorded_in_junit_and_github_output() -> None:
    v = evaluate(
        parse_gates(
            gates_yaml(
                "g: {enforcement: {bypass_allowed: true}, "
                "criteria: {t: {metric: tests.failed, threshold: '== 0'}}}"
            )
        ),
        make_run(failed=[("x", "y")]),
        bypass="hotfix, INC-9",
    )
    root = etree.fromstring(render_junit(v).encode())
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["bypass"] == "hotfix, INC-9"
    assert props["verdict"] == "pass"
    last = render_github(v).splitlines()[-1]
    assert last.endswith("%0Abypassed: hotfix, INC-9 (gates: g)")
    assert "bypassed: hotfix, INC-9 (gates: g)" in render_text(v)
    assert "bypass" in render_markdown(v)
    assert "hotfix, INC-9" in render_markdown(v)
