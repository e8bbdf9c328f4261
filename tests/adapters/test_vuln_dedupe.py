"""The same vulnerability from two scanners is counted once (issue 11, item 10).

trivy's report is a real one (tests/fixtures/security/NOTICE.md): urllib3 1.26.3 with
CVE-2021-33503 (HIGH) and CVE-2021-28363 (MEDIUM). The pip-audit report keeps the shape of the
real pip-audit fixture, with the advisory OSV publishes for the first CVE (PYSEC-2021-108,
aliases CVE-2021-33503 and GHSA-q2q7-5pp4-w6pg): pip-audit cannot reach its advisory service
here to be run for real.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from testgate.adapters.ingest import ingest
from testgate.adapters.registry import ReadContext
from testgate.model import Finding, distinct_vulnerabilities

FIX = Path(__file__).parent.parent / "fixtures" / "security"


def _pip_audit(tmp_path: Path) -> Path:
    doc = json.loads((FIX / "pip-audit__dependencies-object.json").read_text(encoding="utf-8"))
    doc["dependencies"] = [
        {
            "name": "urllib3",
            "version": "1.26.3",
            "vulns": [
                {
                    "id": "PYSEC-2021-108",
                    "fix_versions": ["1.26.5"],
                    "aliases": ["CVE-2021-33503", "GHSA-q2q7-5pp4-w6pg"],
                    "description": "catastrophic backtracking in the URL authority parser",
                }
            ],
        }
    ]
    out = tmp_path / "pip-audit.json"
    out.write_text(json.dumps(doc))
    return out


def test_one_vulnerability_two_scanners_counted_once(tmp_path: Path) -> None:
    trivy = tmp_path / "trivy.json"
    shutil.copy(FIX / "trivy__fs-misconfig-secrets.json", trivy)
    ctx = ReadContext(root=tmp_path)
    alone = ingest([trivy], ctx=ctx).run.metrics
    both = ingest([trivy, _pip_audit(tmp_path)], ctx=ctx).run
    # pip-audit's PYSEC-2021-108 is trivy's CVE-2021-33503 on the same urllib3 1.26.3
    for sev in ("critical", "high", "medium", "low"):
        assert both.metrics[f"security.{sev}"] == alone[f"security.{sev}"], sev
    # both sources are kept
    same = [
        f for f in both.findings if f.package == "urllib3" and "33503" in f.rule + str(f.aliases)
    ]
    assert sorted(f.tool for f in same) == ["pip-audit", "trivy"]


def test_highest_severity_wins_and_unrelated_advisories_stay_apart() -> None:
    def vuln(tool: str, rule: str, sev: str, *aliases: str, version: str = "1.0") -> Finding:
        return Finding(
            tool, rule, sev, "", "vulnerability", package="Django", version=version,
            aliases=aliases,
        )  # fmt: skip

    got = distinct_vulnerabilities(
        [
            vuln("trivy", "CVE-1", "medium"),
            vuln("pip-audit", "PYSEC-9", "low", "CVE-1"),
            vuln("grype", "GHSA-x", "critical", "PYSEC-9"),  # joins them through PYSEC-9
            vuln("trivy", "CVE-2", "low"),  # another advisory
            vuln("trivy", "CVE-1", "high", version="2.0"),  # another version
        ]
    )
    # one scanner's own repeats (one package in two images) stay as it counts them
    same_tool = [vuln("trivy", "CVE-7", "low"), vuln("trivy", "CVE-7", "low")]
    assert len(distinct_vulnerabilities(same_tool)) == 2
    # one group per advisory and version, represented by its most severe finding
    assert sorted((f.tool, f.severity, f.version) for f in got) == [
        ("grype", "critical", "1.0"),
        ("trivy", "high", "2.0"),
        ("trivy", "low", "1.0"),
    ]
    assert len(got) == 3
    # findings without a package (code findings) are never merged
    code = [Finding("bandit", "B101", "low", "", "vulnerability", path="a.py", line=1)] * 2
    assert len(distinct_vulnerabilities(code)) == 2
