"""ruff JSON, ESLint JSON and Checkstyle XML, checked against the producers' own counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Finding, ReportData, Run

LINT = Path(__file__).parent.parent / "fixtures" / "lint"


def read(name: str, fmt: str, root: Path = Path("/src")) -> ReportData:
    data, ref = read_report(LINT / name, ctx=ReadContext(root=root))
    assert ref.format == fmt
    return data


BAD_PY = """\
import os
import sys


def f(x):
    if x == None:
        return 1
    l = [i for i in range(3)]
    return undefined_name
"""


def test_real_ruff_json_and_sarif_agree(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD_PY)
    ruff = Path(sys.executable).parent / "ruff"
    args = [str(ruff), "check", "--no-cache", "--isolated", "--select", "F,E", "bad.py"]
    outs = {}
    for fmt in ("json", "sarif"):
        proc = subprocess.run(
            [*args, "--output-format", fmt], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == 1, proc.stderr  # 1 = violations found
        outs[fmt] = tmp_path / f"ruff.{fmt}"
        outs[fmt].write_text(proc.stdout, encoding="utf-8")
    ctx = ReadContext(root=tmp_path)
    js, ref_j = read_report(outs["json"], ctx=ctx)
    sa, ref_s = read_report(outs["sarif"], ctx=ctx)
    assert (ref_j.format, ref_s.format) == ("ruff", "sarif")

    def key(data: ReportData) -> list[tuple[str, str | None, int | None, str]]:
        return sorted((f.rule, f.path, f.line, f.category) for f in data.findings)

    assert key(js) == key(sa)
    assert key(js) == [
        ("E711", "bad.py", 6, "lint"),
        ("E741", "bad.py", 8, "lint"),
        ("F401", "bad.py", 1, "lint"),
        ("F401", "bad.py", 2, "lint"),
        ("F821", "bad.py", 9, "lint"),
        ("F841", "bad.py", 8, "lint"),
    ]
    # ruff has no warnings: every violation is an error, both ways
    assert js.metrics == sa.metrics == {"lint.errors": 6, "lint.warnings": 0}


def test_ruff_with_fix_and_severity_fields() -> None:
    doc = json.loads((LINT / "ruff__json-with-fix-severity.json").read_text())
    data = read("ruff__json-with-fix-severity.json", "ruff", root=Path("/tmp/peachtree"))
    assert len(data.findings) == len(doc)
    assert data.findings[0].path == "src/peachtree/policy_packs.py"
    assert data.findings[0].line == 8
    assert data.metrics == {"lint.errors": len(doc), "lint.warnings": 0}


def test_ruff_behind_a_non_json_preamble() -> None:
    raw = (LINT / "ruff__json-with-nonjson-preamble.json").read_text(encoding="utf-8")
    doc = json.loads(raw[raw.index("\n[") + 1 :])
    data = read("ruff__json-with-nonjson-preamble.json", "ruff")
    assert len(data.findings) == len(doc) == 1287
    assert data.findings[0].rule == "F401"


def test_ruff_preamble_error_lines_count_from_the_file_start(tmp_path: Path) -> None:
    bad = tmp_path / "ruff.json"
    bad.write_text('banner line\n\n[\n  {"code": "F401",\n  "filename": "a.py" oops}\n]\n')
    with pytest.raises(InputError, match=r"ruff\.json:5: not valid JSON"):
        read_report(bad, format="ruff")


@pytest.mark.parametrize(
    "name",
    # (the juice-shop fixture was trimmed by its source project: its errorCount says 6 for
    # the 2 messages it kept, so it is checked message by message below instead)
    ["eslint__json-suppressed-402.json", "eslint9__json-fatal-parse-errors-1.4MB.json"],
)
def test_eslint_counts_match_eslints_own_totals(name: str) -> None:
    files = json.loads((LINT / name).read_text(encoding="utf-8"))
    data = read(name, "eslint")
    assert data.metrics == {
        "lint.errors": sum(f["errorCount"] for f in files),
        "lint.warnings": sum(f["warningCount"] for f in files),
    }


def test_eslint_suppressed_messages_are_not_counted() -> None:
    files = json.loads((LINT / "eslint__json-suppressed-402.json").read_text(encoding="utf-8"))
    assert sum(len(f.get("suppressedMessages", [])) for f in files) == 402
    data = read("eslint__json-suppressed-402.json", "eslint")
    assert len(data.findings) == sum(len(f["messages"]) for f in files)


def test_eslint_fatal_parse_errors_are_errors() -> None:
    data = read("eslint9__json-fatal-parse-errors-1.4MB.json", "eslint")
    fatal = [f for f in data.findings if f.rule == "parse-error"]
    assert len(fatal) == 3
    assert {f.severity for f in fatal} == {"high"}


def test_eslint_empty_list_is_clean() -> None:
    assert read("eslint__json-empty-array.json", "eslint").metrics == {
        "lint.errors": 0,
        "lint.warnings": 0,
    }


def test_eslint_severity_2_is_an_error_and_1_a_warning() -> None:
    data = read("eslint__json-juice-shop.json", "eslint", root=Path("/Users/omerlh/dev/juice-shop"))
    assert [(f.rule, f.severity, f.path) for f in data.findings] == [
        ("security/detect-object-injection", "high", "routes/basketItems.js"),
        ("security/detect-object-injection", "medium", "routes/basketItems.js"),
    ]
    assert data.metrics == {"lint.errors": 1, "lint.warnings": 1}


def test_checkstyle_windows_paths() -> None:
    data = read("checkstyle__xml-9.3.xml", "checkstyle", root=Path("C:/Proyectos/my-app"))
    assert [(f.rule, f.line) for f in data.findings] == [
        ("JavadocPackage", 1),
        ("HideUtilityClassConstructor", 6),
        ("MissingJavadocMethod", 7),
        ("FinalParameters", 7),
    ]
    assert {f.path for f in data.findings} == {"src/main/java/es/ull/app/App.java"}
    assert data.metrics == {"lint.errors": 4, "lint.warnings": 0}


def test_run_totals_add_up_over_several_lint_reports() -> None:
    # absorb() keeps the last report's counts; finalize() recounts over every finding
    run = Run(id="r")
    for name, fmt in (
        ("checkstyle__xml-9.3.xml", "checkstyle"),
        ("eslint__json-juice-shop.json", "eslint"),
    ):
        data, ref = read_report(LINT / name, format=fmt)
        run.absorb(data, ref)
    run.finalize()
    assert run.metrics["lint.errors"] == 4 + 1
    assert run.metrics["lint.warnings"] == 1
    assert "security.high" not in run.metrics


def test_a_lint_only_run_has_no_security_metrics() -> None:
    run = Run(id="r", findings=[Finding("ruff", "F401", "high", "x", "lint")])
    run.finalize()
    assert run.metrics == {"lint.errors": 1, "lint.warnings": 0}


def test_hadolint_levels_and_windows_paths() -> None:
    doc = json.loads((LINT / "hadolint__json.json").read_text(encoding="utf-8"))
    data = read("hadolint__json.json", "hadolint")
    assert len(data.findings) == len(doc)
    # hadolint fails on info and above by default: warnings and infos are both warnings here
    assert data.metrics == {"lint.errors": 0, "lint.warnings": len(doc)}
    assert data.findings[0].path == "django-DefectDojo/Dockerfile.django"


def test_cfn_lint_levels() -> None:
    doc = json.loads((LINT / "cfn-lint__json.json").read_text(encoding="utf-8"))
    data = read("cfn-lint__json.json", "cfn-lint")
    assert data.metrics == {
        "lint.errors": sum(1 for d in doc if d["Level"] == "Error"),
        "lint.warnings": sum(1 for d in doc if d["Level"] == "Warning"),
    }
    assert (data.findings[0].rule, data.findings[0].line) == ("W2001", 4)


def test_rubocop_matches_its_summary() -> None:
    doc = json.loads((LINT / "rubocop__json.json").read_text(encoding="utf-8"))
    data = read("rubocop__json.json", "rubocop")
    assert len(data.findings) == doc["summary"]["offense_count"]
    # conventions fail rubocop by default (fail level refactor), so they are warnings
    assert data.metrics == {"lint.errors": 0, "lint.warnings": doc["summary"]["offense_count"]}


def test_pmd_csv_and_empty_pmd7_xml() -> None:
    data = read(
        "pmd__csv.csv",
        "pmd-csv",
        root=Path("/home/ec2-user/SAST-13-11-2020-1605287445/cell-bridge-api"),
    )
    rows = (LINT / "pmd__csv.csv").read_text(encoding="utf-8").strip().splitlines()
    assert len(data.findings) == len(rows) - 1
    assert data.findings[0].path == ".mvn/wrapper/MavenWrapperDownloader.java"
    assert data.findings[0].rule == "UseUtilityClass"
    clean = read("pmd7__xml-empty.xml", "pmd")
    assert clean.metrics == {"lint.errors": 0, "lint.warnings": 0}


def test_pmd_xml_violations(tmp_path: Path) -> None:
    report = tmp_path / "pmd.xml"
    report.write_text(
        '<?xml version="1.0"?>\n'
        '<pmd xmlns="http://pmd.sourceforge.net/report/2.0.0" version="7.3.0">\n'
        f'<file name="{tmp_path}/src/A.java">\n'
        '<violation beginline="3" rule="UnusedLocalVariable" priority="3">\n  Avoid unused local\n'
        "  variables.\n</violation>\n"
        '<violation beginline="9" rule="EmptyCatchBlock" priority="1">'
        "Avoid empty catch</violation>\n"
        "</file>\n</pmd>\n"
    )
    data, ref = read_report(report, ctx=ReadContext(root=tmp_path))
    assert ref.format == "pmd"
    assert [(f.rule, f.severity, f.path, f.line, f.message) for f in data.findings] == [
        ("UnusedLocalVariable", "medium", "src/A.java", 3, "Avoid unused local variables."),
        ("EmptyCatchBlock", "high", "src/A.java", 9, "Avoid empty catch"),
    ]
