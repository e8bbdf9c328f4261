"""Cognitive complexity and documented-API adapters, each producer run for real (issue 11,
item 12): complexipy, eslint with eslint-plugin-sonarjs, interrogate and docstr-coverage.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.adapters.ingest import ingest
from testgate.adapters.registry import ReadContext

from .jstools import link_modules

MODULE = '''"""A module."""


def simple(x):
    """Documented."""
    return x + 1


def tangled(a, b, c):
    if a:
        for i in range(b):
            if i % 2 and c:
                while c:
                    c -= 1
                    if c == 3 or (a and b):
                        break
            elif i > 3:
                continue
    return a


class Thing:
    """A thing."""

    def method(self):
        return 1

    def _private(self):
        return 2
'''


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    if not exe.exists():
        pytest.skip(f"{name} is not installed (pip install -e .[dev])")
    return str(exe)


@pytest.fixture
def pyproject(tmp_path: Path) -> Path:
    (tmp_path / "mod.py").write_text(MODULE)
    return tmp_path


def _read(path: Path, root: Path) -> dict[str, float]:
    return ingest([path], ctx=ReadContext(root=root)).run.metrics


def test_complexipy_json(pyproject: Path) -> None:
    subprocess.run(
        [_tool("complexipy"), ".", "--output-format", "json", "--output", "cx.json", "-i"],
        cwd=pyproject,
        check=True,
        capture_output=True,
        timeout=120,
    )
    own = json.loads((pyproject / "cx.json").read_text())
    by_name = {f["function_name"]: f["complexity"] for f in own}
    assert by_name["tangled"] > 15  # the tangled function is over complexipy's default
    run = ingest([pyproject / "cx.json"], ctx=ReadContext(root=pyproject)).run
    assert run.reports[0].format == "complexipy"
    assert run.metrics["complexity.cognitive.max"] == max(by_name.values())
    (finding,) = run.findings
    assert (finding.category, finding.path) == ("complexity", "mod.py")
    assert "tangled" in finding.message


def test_interrogate_report(pyproject: Path) -> None:
    proc = subprocess.run(
        [_tool("interrogate"), "-v", "--fail-under", "0", "-o", "interrogate.txt", "."],
        cwd=pyproject,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = (pyproject / "interrogate.txt").read_text()
    row = re.search(r"\| TOTAL\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)", text)
    assert row is not None
    total, miss, cover = (int(x) for x in row.groups())
    m = _read(pyproject / "interrogate.txt", pyproject)
    assert m["docs.public_api"] == round(100.0 * cover / total, 4)
    assert total == miss + cover


def test_docstr_coverage_report(pyproject: Path) -> None:
    proc = subprocess.run(
        [_tool("docstr-coverage"), "mod.py"],
        cwd=pyproject,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # docstr-coverage writes its report to stderr
    (pyproject / "docstr.txt").write_text(proc.stderr)
    needed, found = (
        int(x) for x in re.search(r"Needed: (\d+)\s+-\s+Found: (\d+)", proc.stderr).groups()
    )
    m = _read(pyproject / "docstr.txt", pyproject)
    assert m["docs.public_api"] == round(100.0 * found / needed, 4)
    # -p prints the bare percentage
    pct = subprocess.run(
        [_tool("docstr-coverage"), "-p", "mod.py"],
        cwd=pyproject,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    (pyproject / "pct.txt").write_text(pct)
    data = ingest(
        [pyproject / "pct.txt"], format="docstr-coverage", ctx=ReadContext(root=pyproject)
    ).run.metrics
    assert data["docs.public_api"] == pytest.approx(100.0 * found / needed, abs=1e-3)


JS = """\
function simple(x) { return x + 1; }
function tangled(a, b, c) {
  if (a) {
    for (let i = 0; i < b; i++) {
      if (i % 2 && c) {
        while (c) { c -= 1; if (c === 3 || (a && b)) { break; } }
      } else if (i > 3) { continue; }
    }
  }
  return a;
}
const arrow = (n) => (n > 0 ? n : -n);
module.exports = { simple, tangled, arrow };
"""

ESLINT_CONFIG = """\
import sonarjs from "eslint-plugin-sonarjs";
export default [
  {
    files: ["**/*.js"],
    plugins: { sonarjs },
    rules: { "sonarjs/cognitive-complexity": ["error", 0], "no-unused-vars": "warn" },
  },
];
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_eslint_sonarjs_cognitive_complexity(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text(JS + "const unused = 1;\n")
    (tmp_path / "eslint.config.mjs").write_text(ESLINT_CONFIG)
    (tmp_path / "package.json").write_text('{"name": "app", "version": "1.0.0"}')
    bin_dir = link_modules(tmp_path)
    subprocess.run(
        [str(bin_dir / "eslint"), "-f", "json", "-o", "eslint.json", "app.js"],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    own = json.loads((tmp_path / "eslint.json").read_text())
    values = [
        int(re.search(r"from (\d+) to", m["message"]).group(1))
        for f in own
        for m in f["messages"]
        if m["ruleId"] == "sonarjs/cognitive-complexity"
    ]
    assert len(values) == 2  # tangled and the arrow function; simple has none
    run = ingest([tmp_path / "eslint.json"], ctx=ReadContext(root=tmp_path)).run
    assert run.metrics["complexity.cognitive.max"] == max(values)
    # the complexity messages are not lint errors; the unused variable is a lint warning
    assert (run.metrics["lint.errors"], run.metrics["lint.warnings"]) == (0, 1)
    assert [f.path for f in run.findings if f.category == "complexity"] == ["app.js"]
