"""Coverage reports end to end through ``testgate ingest``: formats mixed, paths merged."""

from __future__ import annotations

import json
from pathlib import Path

from testgate.testing import Project

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def test_ingest_merges_cobertura_and_lcov_of_one_checkout(project: Project) -> None:
    project.write("src/app/calc.py", "def f(x):\n    return x\n")
    project.write(
        "ci/linux.xml",
        '<?xml version="1.0" ?>\n'
        '<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n'
        '<coverage line-rate="0.5" branch-rate="0"><sources>'
        "<source>/home/runner/work/app/app/src</source></sources>"
        '<packages><package name="app"><classes><class name="calc.py" filename="app/calc.py">'
        '<lines><line number="1" hits="1"/><line number="2" hits="0" branch="true" '
        'condition-coverage="0% (0/2)"/></lines></class></classes></package></packages>'
        "</coverage>\n",
    )
    project.write(
        "ci/windows.info",
        "TN:\nSF:D:\\a\\app\\app\\src\\app\\calc.py\nDA:1,1\nDA:2,4\n"
        "BRDA:2,0,0,4\nBRDA:2,0,1,0\nend_of_record\n",
    )
    out = project.run("ingest", "ci/linux.xml", "ci/windows.info", "-o", "summary.json")
    out.assert_success()
    summary = json.loads((project.root / "summary.json").read_text())
    assert summary["coverage"]["files"] == {
        "src/app/calc.py": {
            "covered": [1, 2],
            "missed": [],
            "branches": [[2, 1, 2]],
            "missing_branches": [[2, ["0,1"]]],  # lcov's block,branch id of the branch missed
        }
    }
    assert summary["metrics"]["coverage.line"] == 100.0
    assert summary["metrics"]["coverage.branch"] == 50.0
    formats = sorted(r["format"] for r in summary["run"]["reports"])
    assert formats == ["cobertura", "lcov"]


def test_ingest_reads_every_coverage_format_by_content(project: Project) -> None:
    names = [
        "coveragepy__cobertura-missing-branches.xml",
        "istanbul__lcov-typescript.info",
        "jacoco-maven__single-line-dtd-1.0.xml",
        "coveragepy-json__v7.3-no-format.json",
        "clover-istanbul__js.xml",
        "go-cover__mode-set.out",
    ]
    for i, name in enumerate(names):
        project.write(f"reports/r{i}.dat", (COV / name).read_text(encoding="utf-8-sig"))
    out = project.run("ingest", "reports/*.dat", "-o", "summary.json")
    out.assert_success()
    summary = json.loads((project.root / "summary.json").read_text())
    formats = sorted(r["format"] for r in summary["run"]["reports"])
    assert formats == ["clover", "cobertura", "coveragepy-json", "gocover", "jacoco", "lcov"]
    assert "coverage.line" in summary["metrics"]
    assert "tests.total" not in summary["metrics"]  # no test report: absent, not 0


def test_ingest_names_file_and_line_of_a_broken_coverage_report(project: Project) -> None:
    project.write("good.info", "SF:a.c\nDA:1,1\nend_of_record\n")
    project.write("bad.info", "SF:a.c\nDA:1,1\nDA:2,x\nend_of_record\n")
    out = project.run("ingest", "good.info", "bad.info", "-o", "summary.json")
    out.assert_code(2)
    assert "bad.info:3: malformed record" in out.err
