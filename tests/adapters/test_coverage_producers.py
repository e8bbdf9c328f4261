"""Real producers run inside the tests: coverage.py, gcc + gcovr, node --test.

Each writes several formats from one run; every adapter must give the numbers the producer's
own summary gives, and the formats of one run must agree line by line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

SHAPES = '''\
"""Shapes: enough branches to leave some partly covered."""


def classify(n):
    if n < 0:
        return "negative"
    if n == 0 or n > 100:
        return "edge"
    return "positive"


def area(kind, size):
    if kind == "square":
        return size * size
    elif kind == "circle":
        return 3.14 * size * size
    raise ValueError(kind)


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self, by=1):
        for _ in range(by):
            self.n += 1
        return self.n
'''

UNUSED = """\
def never_called(x):
    if x:
        return 1
    return 2
"""

RUN = """\
from pkg.shapes import Counter, area, classify
import pkg.unused

classify(5)
classify(-1)
area("square", 2)
Counter().bump(3)
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _read(path: Path, root: Path, fmt: str) -> Coverage:
    data, ref = read_report(path, ctx=ReadContext(root=root))
    assert ref.format == fmt  # detected by content
    return data.coverage


def _missing(text: str) -> set[int]:
    """Line numbers of coverage.py's Missing column ('4, 7-9, 12->14'); arcs are left out."""
    out: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "->" in part:
            continue
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


@pytest.fixture(scope="module")
def coveragepy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("coverage")
    root = tmp_path_factory.mktemp("cpy")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(SHAPES)
    (root / "pkg" / "unused.py").write_text(UNUSED)
    (root / "run.py").write_text(RUN)
    py = [sys.executable, "-m", "coverage"]
    _run([*py, "run", "--branch", "--source=pkg", "run.py"], root)
    _run([*py, "xml", "-o", "cov.xml"], root)
    _run([*py, "json", "-o", "cov.json"], root)
    _run([*py, "lcov", "-o", "cov.info"], root)
    return root


def test_coveragepy_xml_json_lcov_agree_with_coverage_report(coveragepy_run: Path) -> None:
    root = coveragepy_run
    report = _run([sys.executable, "-m", "coverage", "report", "-m"], root)
    # Name  Stmts  Miss  Branch  BrPart  Cover  Missing
    row = re.compile(r"^(pkg/\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s*(.*)$")
    expected = {
        m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)), _missing(m.group(6)))
        for m in map(row.match, report.splitlines())
        if m
    }
    assert set(expected) == {"pkg/__init__.py", "pkg/shapes.py", "pkg/unused.py"}
    readings = {
        "cobertura": _read(root / "cov.xml", root, "cobertura"),
        "coveragepy-json": _read(root / "cov.json", root, "coveragepy-json"),
        "lcov": _read(root / "cov.info", root, "lcov"),
    }
    for fmt, cov in readings.items():
        for path, (stmts, miss, branches, missing) in expected.items():
            if stmts == 0 and path not in cov.files:
                continue  # a file with no statements may be left out of a format
            fc = cov.files[path]
            assert fc.total_lines == stmts, (fmt, path)
            assert fc.total_lines - fc.covered_lines == miss, (fmt, path)
            assert set(fc.missed()) == missing, (fmt, path)
            assert fc.total_branches == branches, (fmt, path)
    # and the three formats agree line by line and branch by branch
    shapes = [
        (
            sorted(n for n, h in c.files["pkg/shapes.py"].lines.items() if h),
            c.files["pkg/shapes.py"].branches,
        )
        for c in readings.values()
    ]
    assert shapes[0] == shapes[1] == shapes[2]


def test_coveragepy_reports_of_two_runs_merge(coveragepy_run: Path, tmp_path: Path) -> None:
    # a second run that calls what the first did not: merged, every line of classify ran
    root = coveragepy_run
    other = tmp_path / "other"
    shutil.copytree(root / "pkg", other / "pkg")
    (other / "run.py").write_text("from pkg.shapes import classify\nclassify(0)\n")
    _run([sys.executable, "-m", "coverage", "run", "--branch", "--source=pkg", "run.py"], other)
    _run([sys.executable, "-m", "coverage", "xml", "-o", "cov.xml"], other)
    first = _read(root / "cov.xml", root, "cobertura")
    second = _read(other / "cov.xml", other, "cobertura")
    before = first.files["pkg/shapes.py"].covered_lines
    first.merge(second)
    merged = first.files["pkg/shapes.py"]
    assert merged.covered_lines > before
    classify_body = [5, 6, 7, 8, 9]
    assert all(merged.lines[n] > 0 for n in classify_body)


@pytest.mark.skipif(
    shutil.which("gcc") is None or shutil.which("gcov") is None, reason="needs gcc and gcov"
)
def test_gcovr_cobertura_lcov_clover_agree_with_gcovr_summary(tmp_path: Path) -> None:
    gcovr = Path(sys.executable).with_name("gcovr")
    if not gcovr.exists():
        pytest.skip("gcovr is not installed in this environment (pip install gcovr)")
    src = tmp_path / "src"
    src.mkdir()
    (src / "calc.c").write_text(
        textwrap.dedent(
            """\
            #include <stdio.h>

            int classify(int x) {
                if (x > 0 && x < 10) {
                    return 1;
                } else if (x < 0) {
                    return -1;
                }
                return 0;
            }

            int unused(int y) {
                return y * 2;
            }

            int main(void) {
                int s = 0;
                for (int i = 0; i < 5; i++) {
                    s += classify(i);
                }
                printf("%d\\n", s);
                return 0;
            }
            """
        )
    )
    _run(["gcc", "--coverage", "-O0", "-o", "calc", "src/calc.c"], tmp_path)
    _run([str(tmp_path / "calc")], tmp_path)
    _run(
        [
            str(gcovr), "-r", ".", "--cobertura", "cob.xml", "--lcov", "cov.info",
            "--clover", "clo.xml", "--jacoco", "jac.xml", "--json-summary", "sum.json",
        ],
        tmp_path,
    )  # fmt: skip
    summary = json.loads((tmp_path / "sum.json").read_text())["files"][0]
    assert summary["filename"] == "src/calc.c"
    for name, fmt in (("cob.xml", "cobertura"), ("cov.info", "lcov"), ("clo.xml", "clover")):
        cov = _read(tmp_path / name, tmp_path, fmt)
        fc = cov.files["src/calc.c"]
        assert (fc.covered_lines, fc.total_lines) == (
            summary["line_covered"],
            summary["line_total"],
        ), fmt
        assert set(fc.missed()) == {7, 12, 13}, fmt
        if fmt != "clover":  # gcovr's Clover output carries no branch data
            assert (fc.covered_branches, fc.total_branches) == (
                summary["branch_covered"],
                summary["branch_total"],
            ), fmt
    # gcovr's JaCoCo has no instruction counts per line, only branch counts: refused, never
    # read as 0% of lines covered
    with pytest.raises(InputError, match="no instruction counts"):
        _read(tmp_path / "jac.xml", tmp_path, "jacoco")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_node_test_runner_lcov(tmp_path: Path) -> None:
    (tmp_path / "lib.js").write_text(
        "function f(x) {\n  if (x > 0) {\n    return 1;\n  }\n  return 2;\n}\n"
        "module.exports = { f };\n"
    )
    (tmp_path / "lib.test.js").write_text(
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "const { f } = require('./lib.js');\n"
        "test('f', () => { assert.strictEqual(f(1), 1); });\n"
    )
    proc = subprocess.run(
        [
            "node", "--test", "--experimental-test-coverage", "--test-reporter=lcov",
            "--test-reporter-destination=lcov.info", "lib.test.js",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    info = tmp_path / "lcov.info"
    if proc.returncode != 0 or not info.exists():
        pytest.skip(f"this node has no lcov test reporter: {proc.stderr[:200]}")
    text = info.read_text()
    lib = text.split("end_of_record")[0]
    lf = int(re.search(r"^LF:(\d+)", lib, re.M).group(1))  # type: ignore[union-attr]
    lh = int(re.search(r"^LH:(\d+)", lib, re.M).group(1))  # type: ignore[union-attr]
    fc = _read(info, tmp_path, "lcov").files["lib.js"]
    assert (fc.covered_lines, fc.total_lines) == (lh, lf)
    assert fc.missed() == [5]
