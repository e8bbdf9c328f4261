"""SARIF 2.1.0 from many producers, detected by content, counted against the files' own data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import ReportData

SEC = Path(__file__).parent.parent / "fixtures" / "security"


def read(name: str, root: Path = Path("/src")) -> ReportData:
    data, ref = read_report(SEC / name, ctx=ReadContext(root=root))
    assert ref.format == "sarif"
    return data


def open_results(name: str) -> list[dict[str, object]]:
    """The results a SARIF consumer must count: not suppressed (accepted), not passing."""
    doc = json.loads((SEC / name).read_text(encoding="utf-8"))
    out = []
    for run in doc["runs"]:
        for r in run.get("results", []):
            sup = [
                s for s in r.get("suppressions", []) if s.get("status", "accepted") == "accepted"
            ]
            if not sup and r.get("kind", "fail") not in ("pass", "notApplicable"):
                out.append(r)
    return out


@pytest.mark.parametrize(
    "name",
    [
        "bandit__sarif.sarif",
        "codeql__sarif-2.5.4.sarif",
        "dependency-check__sarif-6.1.sarif",
        "flawfinder__sarif-2.0.19.sarif",
        "grype__sarif-0.34.sarif",
        "semgrep__sarif-1.69.sarif",
        "spotbugs__sarif-4.4.sarif",
        "gitleaks__sarif-7.4.sarif",
    ],
)
def test_every_open_result_is_one_finding(name: str) -> None:
    data = read(name)
    assert len(data.findings) == len(open_results(name))
    assert all(f.severity in ("critical", "high", "medium", "low", "info") for f in data.findings)


def test_large_semgrep_sarif_reads_every_result() -> None:
    data = read("semgrep__sarif-0.17-1.7MB.sarif")
    assert len(data.findings) == 1768
    # every rule of this run defaults to level "warning" and results carry no level
    assert data.metrics["security.medium"] == 1768
    assert data.metrics["security.high"] == 0
    first = data.findings[0]
    assert first.path == "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02660.java"
    assert first.line == 59
    assert first.tool == "semgrep"


def test_security_severity_score_wins_over_level() -> None:
    # grype keeps a CVSS score in the rule's properties.security-severity
    doc = json.loads((SEC / "grype__sarif-0.34.sarif").read_text(encoding="utf-8"))
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}

    def bucket(score: float) -> str:
        if score >= 9:
            return "critical"
        if score >= 7:
            return "high"
        return "medium" if score >= 4 else "low"

    expected = Counter(
        bucket(float(rules[r["ruleId"]]["properties"]["security-severity"]))
        for r in doc["runs"][0]["results"]
    )
    data = read("grype__sarif-0.34.sarif")
    assert Counter(f.severity for f in data.findings) == expected
    assert data.metrics["security.critical"] == expected["critical"] == 1


def test_bandit_sarif_severity_comes_from_issue_severity() -> None:
    data = read("bandit__sarif.sarif")
    assert [(f.rule, f.severity, f.path, f.line) for f in data.findings] == [
        ("B307", "medium", "src/todoList.py", 48)
    ]
    assert data.metrics == {
        "security.critical": 0,
        "security.high": 0,
        "security.medium": 1,
        "security.low": 0,
    }


def test_clean_bandit_sarif_measures_zero() -> None:
    assert read("bandit__sarif-empty.sarif").metrics["security.high"] == 0


def test_no_runs_is_valid_and_measures_nothing() -> None:
    data = read("sarif-edge__no-runs.sarif")
    assert data.findings == []
    assert data.metrics == {}


def test_eslint_suppressions_are_not_counted() -> None:
    # every result of this ESLint run carries an inSource suppression (eslint-disable)
    data = read("eslint__sarif-8.56.sarif")
    assert data.findings == []
    assert data.metrics == {"lint.errors": 0, "lint.warnings": 0}


def test_suppressed_results_are_skipped() -> None:
    data = read("sarif-edge__suppressions.sarif")
    assert [f.rule for f in data.findings] == ["TST0004"]
    assert data.findings[0].path == "C:/code/file4.c"  # a Windows file URI outside the root


def test_spec_example_accepted_suppression_and_message_arguments() -> None:
    # Appendix K's only result is suppressed with state "accepted"
    assert read("sarif-spec__appendix-k.sarif").findings == []


def test_message_strings_are_filled_with_arguments() -> None:
    data = read("spotbugs__sarif-4.4.sarif")
    first = data.findings[0]
    assert first.message == "Hard coded reference to an absolute pathname in Boot.main(String[])."
    assert first.rule == "DMI_HARDCODED_ABSOLUTE_FILENAME"


def test_gitleaks_sarif_is_secrets_with_rule_from_message() -> None:
    data = read("gitleaks__sarif-7.4.sarif")
    assert data.metrics == {"secrets.count": 8}
    assert {f.category for f in data.findings} == {"secret"}
    assert data.findings[0].rule == "AWS Access Key"
    assert data.findings[0].severity == "high"
    assert "AKIA" not in " ".join(f.message for f in data.findings)


def test_codeql_separates_security_queries_from_quality_queries() -> None:
    data = read("codeql__sarif-2.5.4.sarif")
    doc = json.loads((SEC / "codeql__sarif-2.5.4.sarif").read_text(encoding="utf-8"))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    security_results = sum(
        1
        for r in doc["runs"][0]["results"]
        if "security" in rules[r["ruleIndex"]].get("properties", {}).get("tags", [])
    )
    vulns = [f for f in data.findings if f.category == "vulnerability"]
    assert len(vulns) == security_results > 0
    assert (
        len(data.findings) - len(vulns)
        == data.metrics["lint.errors"] + data.metrics["lint.warnings"]
    )


def test_file_uris_and_base_ids_are_made_relative(tmp_path: Path) -> None:
    root = tmp_path / "my repo"
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Semgrep OSS"}},
                "originalUriBaseIds": {"SRC": {"uri": (root / "src").as_uri() + "/"}},
                "results": [
                    {
                        "ruleId": "a",
                        "level": "error",
                        "message": {"text": "one"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": (root / "a b.py").as_uri()},
                                    "region": {"startLine": 3},
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "b",
                        "level": "note",
                        "message": {"text": "two"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "pkg/x%20y.py", "uriBaseId": "SRC"}
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "c",
                        "message": {"text": "three"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": ".\\win\\c.py"}}}
                        ],
                    },
                ],
            }
        ],
    }
    report = tmp_path / "out.sarif"
    report.write_text(json.dumps(doc), encoding="utf-8")
    data, ref = read_report(report, ctx=ReadContext(root=root))
    assert ref.format == "sarif"
    assert [(f.path, f.line, f.severity) for f in data.findings] == [
        ("a b.py", 3, "high"),
        ("src/pkg/x y.py", None, "low"),
        ("win/c.py", None, "medium"),
    ]


def test_truncated_sarif_names_file_and_line(tmp_path: Path) -> None:
    text = (SEC / "bandit__sarif.sarif").read_text(encoding="utf-8")
    cut = tmp_path / "cut.sarif"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputError, match=r"cut\.sarif:\d+: truncated JSON"):
        read_report(cut, format="sarif")


@pytest.mark.parametrize(
    "run",
    [
        {"tool": {"driver": {"name": "semgrep"}}},
        {"tool": {"driver": {"name": "semgrep"}}, "results": None},
        {
            "tool": {"driver": {"name": "semgrep"}},
            "invocations": [{"executionSuccessful": False}],
            "results": [],
        },
    ],
)
def test_a_run_that_produced_no_results_measures_nothing(
    tmp_path: Path, run: dict[str, object]
) -> None:
    p = tmp_path / "failed.sarif"
    p.write_text(json.dumps({"version": "2.1.0", "runs": [run]}))
    data, _ = read_report(p)
    assert data.metrics == {}


def test_a_successful_empty_run_measures_zero(tmp_path: Path) -> None:
    run = {
        "tool": {"driver": {"name": "semgrep"}},
        "invocations": [{"executionSuccessful": True}],
        "results": [],
    }
    p = tmp_path / "clean.sarif"
    p.write_text(json.dumps({"version": "2.1.0", "runs": [run]}))
    data, _ = read_report(p)
    assert data.metrics["security.high"] == 0
