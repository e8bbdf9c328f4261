"""TRX, NUnit, xUnit.net, TAP (and a real node TAP run) and go test -json."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from testgate.adapters.registry import read_report
from testgate.errors import InputError
from testgate.model import TestCase

FIX = Path(__file__).parent.parent / "fixtures" / "testformats"


def _read(name: str, fmt: str) -> list[TestCase]:
    data, ref = read_report(FIX / name)
    assert ref.format == fmt  # detected from the content
    return data.tests


def _counts(tests: list[TestCase]) -> dict[str, int]:
    return dict(Counter(t.status for t in tests))


def test_trx() -> None:
    tests = _read("mstest.trx", "trx")
    # ResultSummary: total 6 = passed 2 + failed 2 + timeout 1 + notExecuted 1 (the
    # data-driven parent is not counted; its two rows are)
    assert _counts(tests) == {"passed": 2, "failed": 2, "skipped": 1, "error": 1}
    by = {t.name: t for t in tests}
    div = by["Divide_ByZero_Throws"]
    assert (div.classname, div.suite, div.duration_s) == (
        "Calc.Tests.CalculatorTests",
        "calc.tests.dll",
        1.5,
    )
    assert div.message is not None
    assert div.message.startswith("Assert.ThrowsException failed")
    assert div.trace is not None
    assert "CalculatorTests.cs:line 31" in div.trace
    row = by['Parse_Rows (2,"<b>")']
    assert (row.status, row.classname) == ("failed", "Calc.Tests.ParserTests")
    assert by["Slow_Service"].duration_s == 60.0


def test_nunit3() -> None:
    tests = _read("nunit3.xml", "nunit")
    # test-run: total 6, passed 2, failed 2 (one with label Error), skipped 2 (incl. inconclusive)
    assert _counts(tests) == {"passed": 2, "failed": 1, "error": 1, "skipped": 2}
    by = {t.name: t for t in tests}
    assert by["Checkout_EmptyCart"].message == "Expected: 0\n  But was:  1"
    assert by["Refund"].message == "refunds not implemented"
    assert by['Discount(10,"x<y")'].suite == "CartTests"
    assert by["Charge_Card"].classname == "Shop.PaymentTests"


def test_xunit2() -> None:
    tests = _read("xunit2.xml", "xunit")
    # assembly: total 5, passed 2, failed 2, skipped 1
    assert _counts(tests) == {"passed": 2, "failed": 2, "skipped": 1}
    by = {t.name: t for t in tests}
    theory = by['Inventory.Tests.StockTests.Release_Unknown(sku: "A&B")']
    assert theory.classname == "Inventory.Tests.StockTests"
    assert theory.suite == "Inventory.Tests.dll"
    assert theory.message is not None
    assert theory.message.startswith("Assert.Equal() Failure")
    assert by["Inventory.Tests.StockTests.Reserve_ReducesAvailable"].properties == {
        "Category": "unit"
    }
    assert by["Inventory.Tests.StockTests.Restock_Remote"].message == "needs the warehouse API"


def test_gotest_json() -> None:
    tests = _read("gotest.jsonl", "gotest")
    by = {t.name: t for t in tests}
    assert [t.name for t in tests] == [
        "TestAdd",
        "TestTotal",
        "TestTotal/empty",
        "TestTotal/with_tax",
        "TestRemote",
        "(package)",
    ]
    assert _counts(tests) == {"passed": 2, "failed": 2, "skipped": 1, "error": 1}
    sub = by["TestTotal/with_tax"]
    assert sub.message == "cart_test.go:31: total = 107, want 108"
    assert sub.trace is not None
    assert "--- FAIL: TestTotal/with_tax" in sub.trace
    assert by["TestRemote"].message == "cart_test.go:40: needs SHOP_API_URL"
    build = by["(package)"]
    assert (build.suite, build.status) == ("example.com/shop/broken", "error")
    assert build.message == "broken/broken_test.go:9:2: undefined: Frobnicate"


def test_gotest_bad_line_names_it(tmp_path: Path) -> None:
    f = tmp_path / "go.json"
    f.write_text('{"Action":"run","Package":"p","Test":"T"}\n{"Action": pass}\n')
    with pytest.raises(InputError, match=r"go.json:2: not a go test -json event"):
        read_report(f, format="gotest")


def test_tap13_with_yaml_skip_todo_and_subtests() -> None:
    tests = _read("prove.tap", "tap")
    by = {t.name: t for t in tests}
    assert _counts(tests) == {"passed": 3, "failed": 2, "skipped": 2}
    dates = by["parses dates"]
    assert (dates.message, dates.file, dates.line) == (
        "expected 2024-05-02, got 2024-02-05",
        "t/dates.t",
        14,
    )
    assert by["network"].message == "no network in CI"
    assert by["unicode names"].status == "skipped"  # not ok # TODO is not a failure
    assert "escapes # hash in name" in by
    assert (by["inner two"].suite, by["inner two"].classname) == ("nested", "nested")


def test_tap_bail_out() -> None:
    tests = _read("bailout.tap", "tap")
    assert [(t.name, t.status) for t in tests] == [
        ("starts", "passed"),
        ("connects", "passed"),
        ("Bail out!", "error"),
    ]


def test_tap_plan_not_met(tmp_path: Path) -> None:
    f = tmp_path / "short.tap"
    f.write_text("1..3\nok 1 - a\nok 2 - b\n")
    tests = read_report(f)[0].tests
    assert tests[-1].name == "(plan)"
    assert tests[-1].message == "the plan (line 1) promised 3 tests but 2 ran"


NODE_TESTS = """
import { test, describe, it } from 'node:test';
import assert from 'node:assert';
test('adds', () => { assert.strictEqual(1 + 1, 2); });
test('fails', () => { assert.strictEqual(1 + 1, 3); });
test('skipped', { skip: 'not today' }, () => {});
test('todo', { todo: 'later' }, () => { throw new Error('x'); });
describe('group <&>', () => {
  it('inner ok', () => {});
  it('inner bad', () => { throw new Error('boom & <b>'); });
  describe('deeper', () => { it('deep ok', () => {}); });
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_real_node_tap(tmp_path: Path) -> None:
    (tmp_path / "sample.test.mjs").write_text(NODE_TESTS)
    proc = subprocess.run(
        ["node", "--test", "--test-reporter=tap", "sample.test.mjs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    report = tmp_path / "out.tap"
    report.write_text(proc.stdout)
    said = {k: int(v) for k, v in re.findall(r"^# (\w+) (\d+)$", proc.stdout, re.MULTILINE)}
    tests = read_report(report)[0].tests
    counts = Counter(t.status for t in tests)
    assert len(tests) == said["tests"]  # node counts leaves, as testgate does
    assert counts["passed"] == said["pass"]
    assert counts["failed"] == said["fail"]
    assert counts["skipped"] == said["skipped"] + said["todo"]
    by = {t.name: t for t in tests}
    assert by["inner bad"].message == "boom & <b>"
    assert by["deep ok"].classname == "group <&> > deeper"
    assert by["fails"].file == "/".join([str(tmp_path), "sample.test.mjs"])
    assert by["fails"].duration_s > 0


@pytest.mark.parametrize(
    ("content", "fmt", "match"),
    [
        (b"", "tap", "empty"),
        (b"hello\n", "tap", "not a TAP report"),
        (b"ok 1 - caf\xe9\n", "tap", "not UTF-8"),
        (b"<x/>", "nunit", "not an NUnit"),
        (b"<x/>", "xunit", "not an xUnit.net"),
        (b"<x/>", "trx", "not a TRX"),
        (b"<TestRun>", "trx", "malformed"),
        (b"{}\n", "gotest", "not a go test -json"),
    ],
)
def test_bad_files_are_one_error(tmp_path: Path, content: bytes, fmt: str, match: str) -> None:
    f = tmp_path / "r.out"
    f.write_bytes(content)
    with pytest.raises(InputError, match=match) as info:
        read_report(f, format=fmt)
    assert str(f) in str(info.value)
