"""The bundled example (what `make demo` runs), end to end, in a copy of it."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from testgate.testing import Project

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "polyglot"


@pytest.mark.slow
def test_the_polyglot_example_runs_green_with_real_reports(project: Project) -> None:
    if shutil.which("node") is None:
        pytest.skip("the example's JavaScript package needs Node.js")
    shutil.copytree(
        EXAMPLE,
        project.root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".testgate", "reports", "__pycache__"),
    )
    # the steps run `python -m pytest` etc.: the interpreter running these tests has them
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = project.run_subprocess("run", "--html", "reports/report.html", env=env, timeout=300)
    out.assert_success()
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    m = summary["metrics"]
    # 6 pytest unit (1 skipped) + 3 integration + 2 slow; 6 node tests (1 todo = skipped)
    assert (m["tests.total"], m["tests.passed"], m["tests.skipped"]) == (17, 15, 2)
    assert m["tests.failed"] == 0
    assert 0 < m["coverage.line"] < 100
    assert "security.medium" in m  # bandit's SARIF was read
    assert {s["name"]: s["status"] for s in summary["steps"]} == dict.fromkeys(
        [
            "python-syntax",
            "js-syntax",
            "python-unit",
            "js-unit",
            "python-api",
            "bandit",
            "python-soak",
        ],
        "passed",
    )
    assert summary["verdict"]["verdict"] == "pass"
    assert (project.root / "reports/report.html").stat().st_size > 10_000
    assert (project.root / ".testgate/history.db").exists()
    out.fnmatch_lines(["*python-soak*passed*", "*coverage_gate*overall*pass*", "testgate: PASSED*"])
    assert out.out.rstrip().splitlines()[-1].startswith("testgate: PASSED")  # the last line
