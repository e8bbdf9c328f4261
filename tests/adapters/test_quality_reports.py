"""lizard, radon, jscpd and mutation-testing-elements reports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from testgate.adapters.mutation import score
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import ReportData

FIX = Path(__file__).parent.parent / "fixtures"


def read(rel: str, fmt: str, root: Path = Path("/src")) -> ReportData:
    data, ref = read_report(FIX / rel, ctx=ReadContext(root=root))
    assert ref.format == fmt
    return data


def test_lizard_csv_and_xml_of_the_same_run_agree() -> None:
    # the curl sample was written as CSV and as XML by one lizard run
    as_csv = read("complexity/lizard__csv-curl.csv", "lizard-csv")
    as_xml = read("complexity/lizard__xml-curl.xml", "lizard-xml")
    assert as_csv.metrics == as_xml.metrics == {"complexity.cyclomatic.max": 510}
    key = sorted((f.path, f.line, f.severity) for f in as_csv.findings)
    assert key == sorted((f.path, f.line, f.severity) for f in as_xml.findings)
    assert len(key) == 49
    assert all(f.category == "complexity" for f in as_csv.findings)


def test_lizard_csv_utf16_with_bom_and_windows_paths() -> None:
    raw = (FIX / "complexity/lizard__csv-utf16le-java.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-16"))))
    data = read("complexity/lizard__csv-utf16le-java.csv", "lizard-csv")
    assert data.metrics == {"complexity.cyclomatic.max": max(int(r[1]) for r in rows if r)}
    assert data.findings == []  # nothing above the threshold of 15


def test_lizard_xml_utf16_and_pretty_printed_values() -> None:
    assert read("complexity/lizard__xml-utf16le-bom.xml", "lizard-xml").metrics == {
        "complexity.cyclomatic.max": 7
    }
    big = read("complexity/lizard__xml-cppncss-pretty-412KB.xml", "lizard-xml")
    assert big.metrics == {"complexity.cyclomatic.max": 44}
    worst = max(big.findings, key=lambda f: int(f.message.split(" of ")[1].split()[0]))
    assert worst.severity == "high"  # above 30
    assert worst.path is not None
    assert "\\" not in worst.path


def _radon_max(blocks: list[dict[str, Any]]) -> int:
    best = 0
    for b in blocks:
        if b["type"] != "class":
            best = max(best, b["complexity"])
        best = max(best, _radon_max(b.get("methods", [])), _radon_max(b.get("closures", [])))
    return best


@pytest.mark.parametrize(
    "name", ["complexity/radon__cc-json.json", "complexity/radon__cc-json-closures-241KB.json"]
)
def test_radon_cc_max_over_functions_methods_and_closures(name: str) -> None:
    doc = json.loads((FIX / name).read_text(encoding="utf-8"))
    expected = max(_radon_max(blocks) for blocks in doc.values())
    assert read(name, "radon-cc").metrics == {"complexity.cyclomatic.max": expected}


def test_radon_mi_gives_no_metric_of_the_table() -> None:
    data = read("complexity/radon__mi-json.json", "radon-mi")
    assert data.metrics == {}
    assert data.findings == []  # every file ranks A


@pytest.mark.parametrize(
    "name",
    [
        "duplication/jscpd-v2__ruby-markdown.json",
        "duplication/jscpd-v4__multi-format.json",
        "duplication/jscpd-v4__typescript.json",
    ],
)
def test_jscpd_percentage_and_clones(name: str) -> None:
    stats = json.loads((FIX / name).read_text(encoding="utf-8"))["statistics"]["total"]
    data = read(name, "jscpd")
    assert data.metrics == {"duplication.percent": stats["percentage"]}
    assert len(data.findings) == stats["clones"]


def test_jscpd_clone_location() -> None:
    data = read("duplication/jscpd-v4__typescript.json", "jscpd")
    first = data.findings[0]
    assert first.category == "duplication"
    assert first.path is not None
    assert first.line is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # by hand: (Killed + Timeout) / (Killed + Timeout + Survived + NoCoverage)
        ("strykerjs__svelte.json", 100 * (13 + 3) / (13 + 3 + 3 + 6)),
        ("stryker-net__report.json", 100 * (2 + 1) / (2 + 1 + 11)),  # BuildError etc. excluded
        ("infection-php__report.json", 100 * 7 / (7 + 6)),
        ("stryker4s__scala-141KB.json", 100 * 162 / (162 + 69)),
        ("strykerjs__test-files-schema1.5.json", 100 * (147 + 3) / (147 + 3 + 7 + 4)),
        ("elements-edge__no-schemaVersion.json", 100 * 1 / 3),
    ],
)
def test_mutation_score_by_the_elements_definition(name: str, expected: float) -> None:
    data = read(f"mutation/{name}", "mutation-elements")
    assert data.metrics["mutation.score"] == pytest.approx(expected, abs=1e-4)


def test_mutation_score_matches_the_producers_own_score() -> None:
    doc = json.loads((FIX / "mutation/infection-php__report.json").read_text(encoding="utf-8"))
    data = read("mutation/infection-php__report.json", "mutation-elements")
    assert data.metrics["mutation.score"] == pytest.approx(doc["mutationScore"], abs=1e-4)
    # every undetected mutant is a finding
    assert len(data.findings) == 6
    assert {f.category for f in data.findings} == {"mutation"}


def test_mid_run_report_has_no_score() -> None:
    data = read("mutation/stryker-realtime__pending-ignored.json", "mutation-elements")
    assert "mutation.score" not in data.metrics  # absent, never 0


def test_report_without_schema_version_is_read() -> None:
    # flagged invalid by the JSON schema only for the missing version; its data is complete
    data = read("mutation/elements-schema__invalid-missing-version.json", "mutation-elements")
    assert data.metrics == {"mutation.score": 50.0}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"schemaVersion": "1", "files": {"a.js": {"mutants": [{"status": "Exploded"}]}}},
            "status 'Exploded'",
        ),
        ({"schemaVersion": "1", "files": {"a.js": {"language": "js"}}}, "has no 'mutants' list"),
        ({"schemaVersion": "9", "files": {}}, "schemaVersion '9' is not supported"),
        ({"schemaVersion": "1", "thresholds": {}}, "expected a 'files' object"),
    ],
)
def test_invalid_mutation_reports(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    bad = tmp_path / "mutation.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message):
        read_report(bad, format="mutation-elements")


def test_score_counts() -> None:
    from collections import Counter

    assert score(Counter({"Killed": 1, "CompileError": 5, "Ignored": 2})) == 100.0
    assert score(Counter({"Pending": 3})) is None


def test_pit_score_matches_pits_own_detected_flags() -> None:
    text = (FIX / "mutation/pitest__mutations.xml").read_text(encoding="utf-8")
    detected = text.count("detected='true'")
    undetected = text.count("detected='false'")
    data = read("mutation/pitest__mutations.xml", "pitest")
    # every mutant of this report is KILLED, SURVIVED or NO_COVERAGE: all valid
    assert data.metrics["mutation.score"] == pytest.approx(
        100 * detected / (detected + undetected), abs=1e-4
    )
    assert len(data.findings) == undetected == 24
    f = data.findings[0]
    assert "\n" not in f.message
    assert f.path is not None
    assert f.path.startswith("edu/hm/hafner/")


def test_pit_single_survivor_with_blocks_and_indexes() -> None:
    data = read("mutation/pitest__blocks-and-indexes.xml", "pitest")
    assert data.metrics == {"mutation.score": 0.0}
    (f,) = data.findings
    assert (f.rule, f.path, f.line) == (
        "EmptyObjectReturnValsMutator",
        "edu/hm/hafner/util/LookaheadStream.java",
        5555,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # no_tests mutants are undetected (NoCoverage): 655 / (655 + 0 + 322), not 100 %
        ("mutation/mutmut3__cicd-stats-no-tests.json", 100 * 655 / 977),
        ("mutation/mutmut3__cicd-stats.json", 100 * 486 / (486 + 505 + 15)),
    ],
)
def test_mutmut_cicd_stats(name: str, expected: float) -> None:
    assert read(name, "mutmut-stats").metrics["mutation.score"] == pytest.approx(expected, abs=1e-4)


def test_stryker_net_legacy_matches_its_own_score() -> None:
    doc = json.loads(
        (FIX / "mutation/stryker-net__pre-schema-old.json").read_text(encoding="utf-8")
    )
    data = read("mutation/stryker-net__pre-schema-old.json", "stryker-net-legacy")
    assert data.metrics == {"mutation.score": doc["mutationScore"]}


def test_pmd_cpd_legacy_and_namespaced() -> None:
    legacy = read(
        "duplication/pmd-cpd__xml-legacy.xml", "pmd-cpd", root=Path("C:/DEV/git/aludratest")
    )
    text = (FIX / "duplication/pmd-cpd__xml-legacy.xml").read_text(encoding="utf-8")
    assert len(legacy.findings) == text.count("<duplication ")
    assert legacy.metrics == {}  # CPD has no total of lines: no duplication.percent
    first = legacy.findings[0]
    assert (
        first.path == "src/main/java/org/aludratest/service/gui/component/impl/FileFieldImpl.java"
    )
    assert first.line == 49
    clean = read("duplication/pmd-cpd7__xml-namespaced-no-dups.xml", "pmd-cpd")
    assert clean.findings == []


def test_complexity_max_over_several_reports_is_the_largest() -> None:
    from testgate.model import Run

    run = Run(id="r")
    for rel in ("complexity/lizard__xml-curl.xml", "complexity/radon__cc-json.json"):
        data, ref = read_report(FIX / rel)
        run.absorb(data, ref)
    run.finalize()
    assert run.metrics["complexity.cyclomatic.max"] == 510
