"""Native JSON of dependency audits, trivy, secret scanners, bandit and semgrep.

Counts are checked against the totals each producer wrote into its own report where it has them
(npm ``metadata.vulnerabilities``, bandit ``metrics._totals``, safety ``report_meta``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from testgate.adapters.registry import ReadContext, default_registry, read_report
from testgate.errors import InputError
from testgate.model import ReportData

SEC = Path(__file__).parent.parent / "fixtures" / "security"
NPM = {"critical": "critical", "high": "high", "moderate": "medium", "low": "low"}


def read(name: str, fmt: str, root: Path = Path("/src")) -> ReportData:
    data, ref = read_report(SEC / name, ctx=ReadContext(root=root))
    assert ref.format == fmt, f"{name} detected as {ref.format}, expected {fmt}"
    return data


def load(name: str) -> Any:
    return json.loads((SEC / name).read_text(encoding="utf-8"))


def severities(data: ReportData) -> dict[str, float]:
    return {k.split(".", 1)[1]: v for k, v in data.metrics.items() if k.startswith("security.")}


@pytest.mark.parametrize(
    "name",
    ["npm-audit-v7__many.json", "npm-audit-v7__no-vuln.json", "npm-audit-v7__one-cvss-cwe.json"],
)
def test_npm7_counts_match_npms_own_totals(name: str) -> None:
    meta = load(name)["metadata"]["vulnerabilities"]
    data = read(name, "npm-audit")
    assert severities(data) == {NPM[k]: meta[k] for k in NPM}
    assert len(data.findings) == meta["total"] - meta["info"]


def test_npm7_finding_details() -> None:
    (f,) = read("npm-audit-v7__one-cvss-cwe.json", "npm-audit").findings
    assert f.package == "debug"
    assert f.severity == "high"  # the package's severity, the worst of its advisories
    assert f.rule == "GHSA-gxpj-cx7g-858c, GHSA-9vvw-cc9w-f27h"
    assert f.fixed_in == "express@4.18.3"


def test_npm6_counts_one_per_dependency_path() -> None:
    meta = load("npm-audit-v6__one.json")["metadata"]["vulnerabilities"]
    data = read("npm-audit-v6__one.json", "npm-audit")
    assert severities(data) == {NPM[k]: meta[k] for k in NPM}


def test_npm6_paths_agree_with_npms_resolves() -> None:
    # This fixture's metadata counts advisories that were trimmed from 'advisories', so its
    # totals cannot be met; npm's own actions[].resolves list one (advisory, path) per counted
    # vulnerability, independently of the advisories' findings[].paths we read.
    doc = load("npm-audit-v6__many-with-groups.json")
    resolves = Counter(
        str(r["id"])
        for a in doc["actions"]
        for r in a["resolves"]
        if str(r["id"]) in doc["advisories"]
    )
    data = read("npm-audit-v6__many-with-groups.json", "npm-audit")
    ours = Counter(f.rule for f in data.findings)
    assert {k: ours[k] for k in resolves} == dict(resolves)
    assert resolves["526"] == 4  # one advisory, four dependency paths to 'fresh'


def test_npm_error_document_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match=r"ENOAUDIT-error\.json: npm audit did not run \(ENOAUDIT"):
        read_report(SEC / "npm-audit__ENOAUDIT-error.json")


@pytest.mark.parametrize(
    "name", ["pip-audit__dependencies-object.json", "pip-audit__legacy-list.json"]
)
def test_pip_audit_both_shapes(name: str) -> None:
    doc = load(name)
    deps = doc["dependencies"] if isinstance(doc, dict) else doc
    vulns = [(d["name"], v["id"]) for d in deps for v in d.get("vulns", [])]
    data = read(name, "pip-audit")
    assert [(f.package, f.rule) for f in data.findings] == vulns
    # pip-audit rates nothing: an unrated known vulnerability counts as high
    assert severities(data) == {"critical": 0, "high": len(vulns), "medium": 0, "low": 0}
    django = next(f for f in data.findings if f.package == "django")
    assert django.version == "3.2.9"
    assert django.fixed_in == "2.2.25, 3.1.14, 3.2.10"


def test_pip_audit_clean_report_measures_zero() -> None:
    assert severities(read("pip-audit__zero.json", "pip-audit")) == dict.fromkeys(
        ("critical", "high", "medium", "low"), 0
    )


def test_safety_v2_matches_report_meta() -> None:
    doc = load("safety-v2__with-remediations-176KB.json")
    data = read("safety-v2__with-remediations-176KB.json", "safety")
    assert len(data.findings) == doc["report_meta"]["vulnerabilities_found"]


def test_safety_v1_positional_lists() -> None:
    data = read("safety-v1__list-of-lists.json", "safety")
    assert len(data.findings) == len(load("safety-v1__list-of-lists.json"))
    assert data.findings[0].package == "django"
    assert data.findings[0].version == "1.2.2"


def test_invalid_json_names_file_and_line() -> None:
    with pytest.raises(InputError) as err:
        read_report(SEC / "safety-v2__invalid-json.json", format="safety")
    assert str(err.value).startswith(f"{SEC / 'safety-v2__invalid-json.json'}:4: not valid JSON")


def test_trivy_schema2_image() -> None:
    doc = load("trivy__schema2-image.json")
    expected = Counter(
        v["Severity"].lower() for r in doc["Results"] for v in r.get("Vulnerabilities") or []
    )
    data = read("trivy__schema2-image.json", "trivy")
    assert Counter(f.severity for f in data.findings) == expected
    f = data.findings[0]
    assert (f.rule, f.package, f.version, f.fixed_in) == (
        "CVE-2020-15999",
        "freetype",
        "2.9.1-r2",
        "2.9.1-r3",
    )


def test_trivy_misconfigurations_and_secrets() -> None:
    data = read("trivy__fs-misconfig-secrets.json", "trivy")
    cats = Counter(f.category for f in data.findings)
    assert cats == {"vulnerability": 3, "secret": 2}
    assert data.metrics["secrets.count"] == 2
    secret = next(f for f in data.findings if f.category == "secret")
    assert (secret.rule, secret.severity, secret.path, secret.line) == (
        "github-pat",
        "critical",
        "Dockerfile",
        24,
    )
    assert "*****" not in secret.message  # the match is never copied


def test_trivy_k8s_nested_resources() -> None:
    doc = load("trivy__k8s.json")
    n = sum(
        len(r.get("Vulnerabilities") or []) + len(r.get("Misconfigurations") or [])
        for key in ("Vulnerabilities", "Misconfigurations")
        for res in doc[key]
        for r in res.get("Results") or []
    )
    assert len(read("trivy__k8s.json", "trivy").findings) == n


def test_trivy_legacy_list_and_null() -> None:
    data = read("trivy__legacy-list.json", "trivy")
    assert len(data.findings) == sum(
        len(t.get("Vulnerabilities") or []) for t in load("trivy__legacy-list.json")
    )
    # entries without VulnerabilityID/Severity are unrated, hence high
    assert {f.severity for f in data.findings if f.rule == "unknown"} <= {"high"}
    clean = read("trivy__legacy-null.json", "trivy")
    assert clean.findings == []
    assert clean.metrics["security.high"] == 0


@pytest.mark.parametrize(
    ("name", "count"), [("gitleaks-v7__redacted.json", 6), ("gitleaks-v8__many.json", 4)]
)
def test_gitleaks_v7_and_v8(name: str, count: int) -> None:
    data = read(name, "gitleaks")
    assert len(load(name)) == count
    assert data.metrics == {"secrets.count": count}
    assert all(f.category == "secret" and f.severity == "high" for f in data.findings)


def test_gitleaks_v8_details_never_hold_the_secret() -> None:
    data = read("gitleaks-v8__many.json", "gitleaks")
    f = data.findings[0]
    assert (f.rule, f.path, f.line) == ("aws-access-token", "/conf/aws.tf", 2)
    leaked = {d["Secret"] for d in load("gitleaks-v8__many.json")}
    assert not any(s in f.message for s in leaked for f in data.findings)


def test_gitleaks_null_is_a_clean_scan() -> None:
    assert read("gitleaks__no-findings-null.json", "gitleaks").metrics == {"secrets.count": 0}


def test_detect_secrets_real_baseline(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "detect-secrets"
    if not exe.exists():
        pytest.skip("detect-secrets is not installed (pip install -e '.[dev]')")
    src = tmp_path / "settings.py"
    # built at run time so that this test file itself holds no secret-looking literal
    src.write_text(
        f'aws = "{"AKIA" + "Z4KJ3W5QXPLM7Y2D"}"\npassword = "{"Zq8!vR2#" + "kLp9@wXy"}"\n'
    )
    out = subprocess.run(
        [str(exe), "scan", "settings.py"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    baseline = tmp_path / ".secrets.baseline"
    baseline.write_text(out, encoding="utf-8")
    data, ref = read_report(baseline, ctx=ReadContext(root=tmp_path))
    assert ref.format == "detect-secrets"
    expected = [
        (s["filename"], s["line_number"]) for s in json.loads(out)["results"]["settings.py"]
    ]
    assert [(f.path, f.line) for f in data.findings] == expected
    assert data.metrics == {"secrets.count": len(expected)}
    assert len(expected) >= 1


@pytest.mark.parametrize(
    "name", ["bandit__json-dd-103KB.json", "bandit__json-one.json", "bandit__json-empty.json"]
)
def test_bandit_matches_its_own_totals(name: str) -> None:
    totals = load(name)["metrics"]["_totals"]
    data = read(name, "bandit")
    assert severities(data) == {
        "critical": 0,
        "high": totals["SEVERITY.HIGH"],
        "medium": totals["SEVERITY.MEDIUM"],
        "low": totals["SEVERITY.LOW"],
    }


def test_real_bandit_json_and_sarif_agree(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "bandit"
    if not exe.exists():
        pytest.skip("bandit is not installed (pip install -e '.[dev]')")
    (tmp_path / "app.py").write_text(
        "import pickle\nimport subprocess\n\n\ndef run(cmd, data):\n"
        "    subprocess.call(cmd, shell=True)\n    assert data\n"
        "    return pickle.loads(data), eval(cmd)\n"
    )
    for fmt, out in (("json", "b.json"), ("sarif", "b.sarif")):
        proc = subprocess.run(
            [str(exe), "-q", "-f", fmt, "-o", out, "app.py"], cwd=tmp_path, capture_output=True
        )
        assert proc.returncode == 1, proc.stderr  # 1 = issues found
    ctx = ReadContext(root=tmp_path)
    js, ref_j = read_report(tmp_path / "b.json", ctx=ctx)
    sa, ref_s = read_report(tmp_path / "b.sarif", ctx=ctx)
    assert (ref_j.format, ref_s.format) == ("bandit", "sarif")

    def key(data: ReportData) -> list[tuple[str, str, str | None, int | None]]:
        return sorted((f.rule, f.severity, f.path, f.line) for f in data.findings)

    assert key(js) == key(sa)
    assert ("B602", "high", "app.py", 6) in key(js)
    assert js.metrics == sa.metrics
    totals = json.loads((tmp_path / "b.json").read_text())["metrics"]["_totals"]
    assert js.metrics["security.high"] == totals["SEVERITY.HIGH"]


@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("semgrep__json-many.json", 3),
        ("semgrep__json-v1.30.json", 5),
        ("semgrep__json-empty.json", 0),
    ],
)
def test_semgrep_json(name: str, n: int) -> None:
    data = read(name, "semgrep")
    assert len(data.findings) == n == len(load(name)["results"])
    assert data.metrics["security.high"] + data.metrics["security.medium"] <= n


def test_every_format_is_listed_in_the_unknown_format_error(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}')
    with pytest.raises(InputError, match="cannot tell which report format") as err:
        read_report(odd)
    for name in ("sarif", "npm-audit", "pip-audit", "trivy", "gitleaks", "bandit", "ruff"):
        assert name in str(err.value)
    assert set(default_registry().names()) >= {"detect-secrets", "mutation-elements", "jscpd"}
