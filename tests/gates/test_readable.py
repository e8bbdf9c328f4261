"""Readable anywhere (issue 10, 2.9): gate tables are never cropped, whatever the width, and
test names and messages are printed literally (``test_x[a-b]`` is not Rich markup)."""

from __future__ import annotations

import json
import re
import sys

from testgate.gates.evaluate import evaluate
from testgate.gates.spec import parse_gates
from testgate.model import write_summary
from testgate.report.verdict import render_text
from testgate.testing import Project
from tests.gates.runs import make_run

TESTS = """\
import pytest


@pytest.mark.parametrize("pair", ["a-b", "bold"])
def test_x(pair):
    assert pair == "a-b", "[red]not[/red] a pair [bold]" + pair + "[/]"
"""


def _config() -> str:
    run = json.dumps(
        f"{sys.executable} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests"
    )
    return f"""\
pipeline:
  stages:
    - name: test
      steps:
        - {{name: unit, run: {run}, reports: [reports/junit.xml]}}
gates:
  tests_gate:
    criteria:
      none_failed: {{metric: tests.failed, threshold: "== 0"}}
"""


def test_bracketed_test_ids_and_messages_are_printed_literally(project: Project) -> None:
    project.write("tests/test_pairs.py", TESTS)
    project.write("testgate.yaml", _config())
    hint = "tests.test_pairs::test_x[bold]: AssertionError: [red]not[/red] a pair [bold]bold[/]"
    out = project.run("run").assert_code(3)
    assert hint in out.out  # `testgate run`'s gate table
    out = project.run("gate").assert_code(3)
    assert hint in out.out  # `testgate gate`'s
    # the history's tables too
    shown = project.run("history", "show", "latest", "--all-tests").assert_success()
    # slowest first: the two tests' order follows their durations
    shown.fnmatch_lines(["*tests.test_pairs::test_x[[]a-b]*passed*"])
    shown.fnmatch_lines(["*tests.test_pairs::test_x[[]bold]*failed*"])


def _verdict_with_a_long_hint() -> tuple[object, list[str]]:
    # a hint of 120-odd characters (a hint is a failure's first line, at most 160): wider than
    # its column, so it must wrap inside it
    words = [f"w{i:04d}" for i in range(20)]
    run = make_run(failed=[("test_long[x-y]", " ".join(words))])
    spec = parse_gates({"g": {"criteria": {"t": {"metric": "tests.failed", "threshold": "== 0"}}}})
    return evaluate(spec, run), words


def test_without_a_terminal_a_long_hint_wraps_and_is_never_cut() -> None:
    verdict, words = _verdict_with_a_long_hint()
    text = render_text(verdict)  # type: ignore[arg-type]
    assert "…" not in text
    assert all(len(line) <= 160 for line in text.splitlines())
    for w in words:
        assert w in text
    assert "test_long[x-y]" in text


def test_a_narrow_terminal_gets_plain_lines_with_every_word() -> None:
    verdict, words = _verdict_with_a_long_hint()
    for width in (30, 60, 99):
        text = render_text(verdict, width=width, color=True)  # type: ignore[arg-type]
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert plain.splitlines()[:2] == [
            "FAIL: g / t",
            "  actual 1, expected == 0",
        ]
        assert f"tests.test_bad::test_long[x-y]: {' '.join(words)}" in plain
        assert "┃" not in plain


def test_gate_output_in_a_narrow_log_keeps_every_line_whole(project: Project) -> None:
    _, words = _verdict_with_a_long_hint()
    run = make_run(failed=[("test_long[x-y]", " ".join(words))])
    write_summary(run, project.root / ".testgate/latest/summary.json")
    project.write(
        "testgate.yaml",
        "gates:\n  g:\n    criteria:\n      t: {metric: tests.failed, threshold: '== 0'}\n",
    )
    out = project.run_subprocess("gate", env={"COLUMNS": "40"}).assert_code(3)
    for w in words:
        assert w in out.out
    assert "…" not in out.out
