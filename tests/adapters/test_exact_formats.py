"""Items 3, 7 and 8 of issue 11: NUnit 2.0-2.5, SARIF suppressions, TRX data-driven tests.

The NUnit files are NUnit's own output (tests/corpus/MANIFEST.md says where they come from);
each is checked against the totals on its ``<test-results>`` root.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from testgate.adapters.registry import ReadContext, read_report
from testgate.adapters.trx import read_trx

CORPUS = Path(__file__).parent.parent / "corpus"
FIX = Path(__file__).parent.parent / "fixtures"


def _root_totals(path: Path) -> dict[str, int]:
    head = path.read_text(encoding="utf-8")
    root = re.search(r"<test-results ([^>]*)>", head)
    assert root is not None
    return {k: int(v) for k, v in re.findall(r'([\w-]+)="(\d+)"', root.group(1))}


def test_nunit_2_2_failure_is_a_failure() -> None:
    # NUnit 2.2.8: executed="True" success="False" and a <failure> child, no result= at all
    path = CORPUS / "tests" / "nunit-2.2.8__failure.xml"
    own = _root_totals(path)
    data, ref = read_report(path)
    assert ref.format == "nunit"
    counts = Counter(t.status for t in data.tests)
    assert counts["failed"] == own["failures"] == 1
    assert counts["skipped"] == own["not-run"] == 0
    (bad,) = [t for t in data.tests if t.status == "failed"]
    assert bad.name == "TestFailure"
    assert bad.message is not None
    assert "Expected failure" in bad.message


def test_nunit_2_5_not_runnable_counts_as_not_run() -> None:
    path = CORPUS / "tests" / "nunit-2.5.8__mock-assembly-notrunnable.xml"
    own = _root_totals(path)  # total counts the tests that ran; not-run the others
    data, _ = read_report(path)
    counts = Counter(t.status for t in data.tests)
    assert len(data.tests) == own["total"] + own["not-run"]
    assert counts["failed"] == own["failures"]
    assert counts["error"] == own["errors"]
    # not run (ignored + NotRunnable) and inconclusive are not passes
    assert counts["skipped"] == own["not-run"] + own["inconclusive"]
    not_runnable = [t for t in data.tests if "NotRunnable" in t.name or "MockTest5" in t.name]
    assert {t.status for t in not_runnable} == {"skipped"}


def _sarif_with(statuses: list[str | None], tmp_path: Path) -> Path:
    # the real ESLint SARIF (eslint-disable comments give suppressions of kind inSource), its
    # suppressions' statuses set as a reviewing tool sets them
    doc = json.loads((FIX / "security" / "eslint__sarif-8.56.sarif").read_text(encoding="utf-8"))
    results = doc["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert suppressed
    sups = []
    for st in statuses:
        sup: dict[str, str] = {"kind": "inSource"}
        if st is not None:
            sup["status"] = st
        sups.append(sup)
    for r in suppressed:
        r["suppressions"] = sups
    out = tmp_path / "eslint.sarif"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


def test_sarif_suppressions_follow_the_spec(tmp_path: Path) -> None:
    def visible(statuses: list[str | None]) -> int:
        path = _sarif_with(statuses, tmp_path)
        data, _ = read_report(path, ctx=ReadContext(root=tmp_path))
        return len(data.findings)

    doc = json.loads((FIX / "security" / "eslint__sarif-8.56.sarif").read_text(encoding="utf-8"))
    results = doc["runs"][0]["results"]
    n_sup = sum(1 for r in results if r.get("suppressions"))
    hidden = visible([None])
    assert visible(["accepted"]) == hidden
    assert visible(["accepted", None]) == hidden
    # one suppression under review or rejected keeps the result visible, whatever the others
    assert visible(["accepted", "underReview"]) == hidden + n_sup
    assert visible(["rejected", "accepted"]) == hidden + n_sup
    assert visible([]) == hidden + n_sup  # an empty list suppresses nothing


def test_trx_data_driven_counts_as_its_counters(tmp_path: Path) -> None:
    src = FIX / "testformats" / "mstest.trx"
    text = src.read_text(encoding="utf-8")
    total = int(re.search(r'<Counters total="(\d+)"', text).group(1))  # type: ignore[union-attr]
    # this vstest file counts the data-driven test's rows: the rows are the tests
    assert len(read_trx(src)) == total == 6
    # a TRX whose Counters count the data-driven test once (its rows folded into it)
    once = tmp_path / "once.trx"
    once.write_text(text.replace(f'<Counters total="{total}"', '<Counters total="5"'))
    tests = read_trx(once)
    assert len(tests) == 5
    parent = [t for t in tests if t.name.startswith("Parse_Rows")]
    assert len(parent) == 1
