"""Real producers run inside the tests: pytest --junitxml and node --test's junit reporter."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.adapters.registry import read_report

PYTEST_PROJECT = """
import pytest

def test_pass():
    assert 1 + 1 == 2

def test_fail():
    assert "<&>" == "]]>", "odd & <chars>"

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_error(broken):
    pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 3
"""


def _counts(summary_line: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary_line)}


def test_real_pytest_junitxml(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(PYTEST_PROJECT))
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "xfail_strict=false",
            f"--junitxml={report}",
            "test_sample.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]  # "== 2 failed, 3 passed, 1 skipped, ... =="
    said = _counts(last)
    data, ref = read_report(report)
    assert ref.format == "junit"
    statuses = [t.status for t in data.tests]
    assert statuses.count("passed") == said["passed"]
    assert statuses.count("failed") == said["failed"]
    assert statuses.count("error") == said["error"]
    # pytest writes xfail as a skip, which is what it is: not run to a verdict
    assert statuses.count("skipped") == said["skipped"] + said["xfailed"]
    assert len(data.tests) == sum(said.values())
    by = {t.name: t for t in data.tests}
    assert by["test_fail"].message is not None
    assert "odd & <chars>" in by["test_fail"].message
    assert by["test_skip"].message is not None
    assert "not today" in by["test_skip"].message
    assert by["test_error"].trace is not None
    assert "fixture exploded" in by["test_error"].trace
    assert by["test_param[3]"].classname == "test_sample"
    assert by["test_pass"].id == "test_sample::test_pass"


NODE_TESTS = """
import { test, describe, it } from 'node:test';
import assert from 'node:assert';
test('adds', () => { assert.strictEqual(1 + 1, 2); });
test('fails', () => { assert.strictEqual(1 + 1, 3); });
test('skipped', { skip: 'not today' }, () => {});
test('todo', { todo: 'later' }, () => { throw new Error('x'); });
describe('group <&>', () => {
  it('inner ok', () => {});
  it('inner bad', () => { throw new Error('boom & <b>'); });
  describe('deeper', () => { it('deep ok', () => {}); });
});
"""

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _node(tmp_path: Path, reporter: str) -> tuple[Path, dict[str, int]]:
    """Run node --test with *reporter* to a file and with spec-less TAP for its own totals."""
    (tmp_path / "sample.test.mjs").write_text(NODE_TESTS)
    out = tmp_path / f"out.{reporter}"
    proc = subprocess.run(
        [
            "node",
            "--test",
            f"--test-reporter={reporter}",
            f"--test-reporter-destination={out.name}",
            "--test-reporter=tap",
            "--test-reporter-destination=stdout",
            "sample.test.mjs",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # node's own totals, from its summary comments: "# tests 7", "# pass 3", ...
    said = {k: int(v) for k, v in re.findall(r"^# (\w+) (\d+)$", proc.stdout, re.MULTILINE)}
    return out, said


@needs_node
def test_real_node_test_junit(tmp_path: Path) -> None:
    report, said = _node(tmp_path, "junit")
    data, ref = read_report(report)
    assert ref.format == "junit"
    statuses = [t.status for t in data.tests]
    assert len(data.tests) == said["tests"]
    assert statuses.count("passed") == said["pass"]
    assert statuses.count("failed") == said["fail"]
    # node counts TODO apart; testgate counts a TODO test as skipped
    assert statuses.count("skipped") == said["skipped"] + said["todo"]
    by = {t.name: t for t in data.tests}
    assert by["inner bad"].suite == "group <&>"
    assert by["deep ok"].suite == "deeper"
    assert by["adds"].suite == ""  # test cases directly under <testsuites>
    assert by["inner bad"].message == "boom & <b>"


@needs_node
def test_node_tests_are_scoped_by_their_describe_block(tmp_path: Path) -> None:
    # node writes classname="test" for every case; two describe blocks with a same-named
    # test must still be two tests with two identities
    report, _ = _node(tmp_path, "junit")
    data, _ = read_report(report)
    ids = [t.id for t in data.tests]
    assert len(ids) == len(set(ids))
    by = {t.name: t for t in data.tests}
    assert by["inner bad"].id == "group <&>::inner bad"
    assert by["deep ok"].id == "deeper::deep ok"
    # no describe block: no scope, the id is the name (as node's TAP reporter names it)
    assert (by["adds"].classname, by["adds"].id) == ("", "adds")
