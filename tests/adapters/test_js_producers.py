"""JavaScript producers run for real (issue 11, items 4 and 10): node --test with its TAP and
JUnit reporters in one run, and jest with jest-junit, --json and --coverage. Each is read back
and checked against the producer's own totals.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from testgate.adapters._text import strip_ansi
from testgate.adapters.ingest import ingest
from testgate.adapters.registry import ReadContext

from .jstools import link_modules

NODE_TESTS = """\
const { test, describe } = require('node:test');
const assert = require('node:assert');
describe('math', () => {
  test('adds', () => { assert.strictEqual(1 + 1, 2); });
  test('todo passing', { todo: 'later' }, () => {});
  test('todo failing', { todo: true }, () => { assert.strictEqual(1, 2); });
  test('skipped', { skip: 'not today' }, () => {});
  test('fails', () => { assert.strictEqual(1, 2); });
});
test('top level', () => {});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_tap_and_junit_of_one_run_agree(tmp_path: Path) -> None:
    (tmp_path / "t.test.js").write_text(NODE_TESTS)
    proc = subprocess.run(
        [
            "node",
            "--test",
            "--test-reporter=junit",
            "--test-reporter-destination=out.xml",
            "--test-reporter=tap",
            "--test-reporter-destination=out.tap",
            "t.test.js",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FORCE_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    tap_text = (tmp_path / "out.tap").read_text()
    said = {k: int(v) for k, v in re.findall(r"^# (\w+) (\d+)$", tap_text, re.MULTILINE)}
    ctx = ReadContext(root=tmp_path)
    runs = {ext: ingest([tmp_path / f"out.{ext}"], ctx=ctx).run for ext in ("xml", "tap")}
    for ext, run in runs.items():
        m = run.metrics
        assert m["tests.total"] == said["tests"], ext
        assert m["tests.passed"] == said["pass"], ext
        assert m["tests.failed"] == said["fail"], ext
        assert m["tests.skipped"] == said["skipped"] + said["todo"], ext  # TODO: skipped
    ids = {ext: sorted((t.id, t.status) for t in run.tests) for ext, run in runs.items()}
    assert ids["xml"] == ids["tap"]
    assert ("top level", "passed") in ids["xml"]
    for run in runs.values():
        for t in run.tests:
            assert "\x1b" not in (t.message or "") + (t.trace or "")


JEST_CODE = """\
function add(a, b) { return a + b; }
function sign(n) {
  if (n < 0) return -1;
  if (n === 0) return 0;
  return 1;
}
module.exports = { add, sign };
"""

JEST_TESTS = """\
const { add, sign } = require('./calc');
// every test takes a few milliseconds: jest-junit writes a test.todo as time="0", like a
// test that took no time at all, so a 0 ms test would make the todos ambiguous (see
// docs/formats-tests.md)
const spin = () => { const t = Date.now(); while (Date.now() - t < 3) {} };
describe('calc', () => {
  test('adds', () => { spin(); expect(add(1, 2)).toBe(3); });
  test('fails', () => { spin(); expect(add(1, 2)).toBe(4); });
  test.todo('divides some day');
  test.skip('skipped', () => {});
  test.each([[1, 1], [-3, -1]])('sign(%i)', (n, s) => { spin(); expect(sign(n)).toBe(s); });
});
test('top level', () => { spin(); });
"""


@pytest.fixture(scope="module")
def jest_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("jest")
    (root / "calc.js").write_text(JEST_CODE)
    (root / "calc.test.js").write_text(JEST_TESTS)
    (root / "package.json").write_text('{"name": "calc", "version": "1.0.0"}')
    bin_dir = link_modules(root)
    proc = subprocess.run(
        [
            str(bin_dir / "jest"),
            "--ci",
            "--reporters=default",
            "--reporters=jest-junit",
            "--json",
            "--outputFile=jest.json",
            "--coverage",
            "--coverageReporters=json",
            "--coverageReporters=json-summary",
            "--coverageReporters=lcov",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "JEST_JUNIT_OUTPUT_FILE": "junit.xml", "FORCE_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one test fails on purpose
    plain = strip_ansi(proc.stderr)  # FORCE_COLOR colours jest's own summary too
    summary = next(line for line in plain.splitlines() if line.startswith("Tests:"))
    return root, summary


@pytest.mark.slow
@pytest.mark.parametrize("name", ["junit.xml", "jest.json"])
def test_jest_reports_count_as_jest(jest_run: tuple[Path, str], name: str) -> None:
    root, line = jest_run
    said = {w: int(n) for n, w in re.findall(r"(\d+) (\w+)", line)}
    assert said == {"failed": 1, "skipped": 1, "todo": 1, "passed": 4, "total": 7}
    run = ingest([root / name], ctx=ReadContext(root=root)).run
    assert run.reports[0].format == ("junit" if name == "junit.xml" else "jest-json")
    m = run.metrics
    assert m["tests.total"] == said["total"]
    assert (m["tests.passed"], m["tests.failed"]) == (said["passed"], said["failed"])
    assert m["tests.skipped"] == said["skipped"] + said["todo"]
    statuses = Counter(t.status for t in run.tests)
    assert statuses["skipped"] == 2
    todo = [t for t in run.tests if "divides some day" in t.name]
    assert [(t.status, t.message) for t in todo] == [("skipped", "todo")]
    for t in run.tests:
        assert t.id == t.id.strip()
        assert not t.name.startswith(" ")
        assert "\x1b" not in (t.message or "") + (t.trace or "")
    if name == "jest.json":  # jest colours its JSON's messages under FORCE_COLOR
        assert "\\u001b" in (root / name).read_text()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["coverage-final.json", "lcov.info", "coverage-summary.json"])
def test_jest_coverage_counts_as_istanbul(jest_run: tuple[Path, str], name: str) -> None:
    root, _ = jest_run
    total = json.loads((root / "coverage" / "coverage-summary.json").read_text())["total"]
    run = ingest([root / "coverage" / name], ctx=ReadContext(root=root)).run
    lines, branches = total["lines"], total["branches"]
    assert run.metrics["coverage.line"] == round(100.0 * lines["covered"] / lines["total"], 4)
    assert run.metrics["coverage.branch"] == round(
        100.0 * branches["covered"] / branches["total"], 4
    )
    if name != "coverage-summary.json":
        cl, tl, cb, tb = run.coverage.totals()
        assert (cl, tl, cb, tb) == (
            lines["covered"],
            lines["total"],
            branches["covered"],
            branches["total"],
        )
        assert list(run.coverage.files) == ["calc.js"]  # absolute paths made relative
