"""The seed's gates over real reports: ``testgate ingest`` then ``testgate gate``.

The reports are real producers' output kept in tests/fixtures (see each folder's NOTICE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from testgate.testing import Project

REPORTS = (
    "security/npm-audit-v7__many.json",
    "security/gitleaks-v8__many.json",
    "coverage/cobertura-maven__cobertura-1.9.xml",
    "perf/jmeter__jtl-csv-default.csv",
    "lint/checkstyle__xml-9.3.xml",
)


def test_seed_gates_over_real_reports_explain_each_failure(
    project: Project, fixtures: Path
) -> None:
    project.copy(fixtures / "gates" / "seed_gates.yaml", "testgate.yaml")
    for i, rel in enumerate(REPORTS):
        project.copy(fixtures / rel, f"reports/{i}-{Path(rel).name}")
    project.run("ingest", "-o", ".testgate/latest/summary.json", "reports/*").assert_success()

    out = project.run("gate", "--format", "json").assert_code(3)
    data = json.loads(out.out)
    rows = {(c["gate"], c["criterion"]): c for c in data["criteria"]}

    high = rows[("security_gate", "vulnerability_scan.high")]
    assert (high["actual"], high["status"]) == (1.0, "fail")
    assert high["hint"] == "highcharts: 1227 - Cross-Site Scripting"
    secrets = rows[("security_gate", "code_security.secrets_scan")]
    assert (secrets["actual"], secrets["status"]) == (4.0, "fail")
    assert secrets["hint"].startswith("/conf/aws.tf:2: aws-access-token")
    lint = rows[("code_quality_gate", "linting.pass_rate")]
    assert lint["status"] == "fail"
    assert "JavadocPackage" in lint["hint"]
    # "service communication" is a population: unscoped, the latency of every report in the
    # run (here a JMeter run of another service) is not what it names
    latency = rows[("integration_gate", "service_communication.latency")]
    assert (latency["actual"], latency["status"]) == (None, "fail")
    assert latency["hint"].startswith("service_communication.latency measures a service")
    pci = rows[("security_gate", "compliance.pci_dss")]
    assert pci["status"] == "not_measured"
    # a family no report provided is not measured and names the report that would measure it
    cyclo = rows[("code_quality_gate", "code_complexity.cyclomatic_complexity")]
    assert cyclo["actual"] is None
    assert "no complexity report was read" in cyclo["hint"]

    md = project.run("gate", "--format", "markdown").assert_code(3).out
    assert "<details><summary><b>security_gate / vulnerability_scan.high</b>: 1" in md
    gh = project.run("gate", "--format", "github").assert_code(3).out
    assert "::error title=testgate gate security_gate::vulnerability_scan.high: 1" in gh
