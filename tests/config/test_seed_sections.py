"""Blocks pasted from the seed documents at the wrong level get a message that says the fix."""

from __future__ import annotations

from testgate.testing import Project

PIPELINE = """
pipeline:
  stages:
    - name: unit
      steps:
        - name: t
          run: "true"
"""


def test_a_gate_pasted_at_top_level_says_to_move_it_under_gates(project: Project) -> None:
    project.write(
        "testgate.yaml",
        PIPELINE + 'coverage_gate:\n  criteria:\n    overall:\n      threshold: ">= 80%"\n',
    )
    out = project.run("validate").assert_code(2)
    assert (
        "testgate.yaml:7: coverage_gate: 'coverage_gate' looks like a quality gate; "
        "gates go under 'gates:'" in out.err
    )


def test_seed_sections_testgate_does_not_read_say_so(project: Project) -> None:
    project.write(
        "testgate.yaml",
        PIPELINE + "escalation_matrix:\n  unit_test_failure:\n    severity: medium\n",
    )
    out = project.run("validate").assert_code(2)
    assert "testgate does not read 'escalation_matrix'" in out.err
    assert "rename it 'x-escalation_matrix'" in out.err


def test_validate_checks_inside_gates_with_the_line(project: Project) -> None:
    project.write(
        "testgate.yaml",
        PIPELINE + "gates:\n  security_gate:\n    criteria:\n      vulnerability_scan:\n"
        '        critical: "bogus"\n',
    )
    out = project.run("validate").assert_code(2)
    assert "testgate.yaml:11: gates.security_gate.criteria.vulnerability_scan.critical" in out.err
    assert "cannot read threshold 'bogus'" in out.err
