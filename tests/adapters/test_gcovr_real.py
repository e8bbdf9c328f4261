"""gcovr run for real on a C++ program (issue 11, item 6).

Each output gcovr writes for the same run is read and compared with gcovr's own data: the
branch totals equal gcovr's; the line totals equal gcovr's per-line records counted once per
source line (gcovr counts a line once per function on it, see docs/formats-coverage.md); and
the JaCoCo output, whose lines carry no instruction counts, is refused instead of read as 0 %.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError

SOURCE = """\
#include <cstdio>
template <typename T> T twice(T x) { return x + x; }
static int pick(int a, int b) { return a > b ? a : b; } static int unused(int a) { return a; }
int classify(int n) {
    if (n < 0) {
        return -1;
    } else if (n == 0) {
        return 0;
    }
    auto sq = [](int v) { return v * v; }; auto cube = [](int v) { return v * v * v; };
    return sq(n) > 10 ? cube(n) : sq(n);
}
int main(int argc, char **) {
    std::printf("%d %d %d\\n", twice(argc), twice(1.5) > 2.0, pick(argc, 2));
    std::printf("%d %d\\n", classify(argc), classify(5));
    return 0;
}
"""

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")


@pytest.fixture(scope="module")
def gcovr_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gcovr")
    (root / "main.cpp").write_text(SOURCE)
    subprocess.run(["git", "init", "-q", "."], cwd=root, check=True)  # gcovr asks git
    subprocess.run(
        ["g++", "--coverage", "-O0", "-o", "main", "main.cpp"], cwd=root, check=True, timeout=120
    )
    subprocess.run(["./main"], cwd=root, check=True, capture_output=True, timeout=30)
    gcovr = [sys.executable, "-m", "gcovr", "-r", "."]
    subprocess.run(
        [
            *gcovr,
            "--jacoco",
            "jacoco.xml",
            "--cobertura",
            "cobertura.xml",
            "--lcov",
            "coverage.info",
            "--json",
            "gcovr.json",
            "--json-summary",
            "summary.json",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


def _gcovr_lines(root: Path) -> tuple[int, int]:
    """gcovr's own per-line records, one per source line (covered if any record ran)."""
    (f,) = json.loads((root / "gcovr.json").read_text())["files"]
    hits: dict[int, int] = {}
    for rec in f["lines"]:
        hits[rec["line_number"]] = max(hits.get(rec["line_number"], 0), rec["count"])
    return sum(1 for h in hits.values() if h > 0), len(hits)


@pytest.mark.parametrize("name", ["cobertura.xml", "coverage.info"])
def test_gcovr_outputs_read_as_gcovr_counts(gcovr_run: Path, name: str) -> None:
    summary = json.loads((gcovr_run / "summary.json").read_text())
    data, _ = read_report(gcovr_run / name, ctx=ReadContext(root=gcovr_run))
    cl, tl, cb, tb = data.coverage.totals()
    assert (cb, tb) == (summary["branch_covered"], summary["branch_total"])
    assert (cl, tl) == _gcovr_lines(gcovr_run)
    # gcovr counts line 2 (two template instances), 3 and 10 once per function on them
    assert summary["line_total"] > tl


def test_gcovr_jacoco_is_refused_not_zero(gcovr_run: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_report(gcovr_run / "jacoco.xml", ctx=ReadContext(root=gcovr_run))
    assert "jacoco.xml:1:" in str(exc.value)
    assert "mi/ci" in str(exc.value)
