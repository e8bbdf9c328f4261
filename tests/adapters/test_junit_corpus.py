"""Every JUnit sample of the corpus, read and compared with known totals.

The expected numbers were counted from the files: the ``<testcase>`` elements (``grep -c``),
checked against the producers' own root counters where those are right (jest 4239/2 failed,
pytest 97/17 skipped, rspec 386/1/1, Playwright 28/1/16, tst 31/19/1, cfn-lint 141/1,
unittest 8/1/1/2 ...). Where the reader's total differs from the raw element count it is on
purpose, and a test below says why (reruns merged, a suite-level error, node's TODO).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters.junit import SUITE_LEVEL_NAME, JUnitAdapter, parse_time, read_junit
from testgate.adapters.registry import default_registry, read_head
from testgate.model import MAX_MESSAGE_CHARS, MAX_TRACE_CHARS, TestCase

FIX = Path(__file__).parent.parent / "fixtures" / "junit"

# file, total, passed, failed, errors, skipped, flaky
TOTALS = [
    ("android-instrumentation__paintroid.xml", 11, 8, 0, 0, 3, 0),
    ("ant-junit3__crlf-entities.xml", 8, 5, 0, 3, 0, 0),
    ("ant-junitreport__TESTS-TestSuites.xml", 2, 0, 2, 0, 0, 0),
    ("ant__error-at-suite-level.xml", 1, 0, 0, 1, 0, 0),
    ("antunit__child-element-counts.xml", 1, 1, 0, 0, 0, 0),
    ("bazel__suite-logs.xml", 1, 0, 0, 1, 0, 0),
    ("c-unittest__file-line-no-time.xml", 4, 3, 1, 0, 0, 0),
    ("cargo-nextest__basic.xml", 3, 2, 1, 0, 0, 0),
    ("catch2__report.xml", 1, 0, 1, 0, 0, 0),
    ("cfn-lint__junit.xml", 141, 121, 1, 0, 19, 0),
    ("container-structure-test__test.xml", 3, 3, 0, 0, 0, 0),
    ("ctest__output-junit.xml", 5, 2, 1, 0, 2, 0),
    ("cunit__testFailure.xml", 4, 3, 1, 0, 0, 0),
    ("cypress-mocha-junit__merged.xml", 6, 4, 2, 0, 0, 0),
    ("cypress-mocha-junit__per-spec-hash.xml", 1, 0, 1, 0, 0, 0),
    ("cypress-mocha-junit__testsuites-attrs.xml", 6, 6, 0, 0, 0, 0),
    ("edge__comment-first-no-decl.xml", 2, 1, 1, 0, 0, 0),
    ("edge__empty-system-out-err.xml", 1, 1, 0, 0, 0, 0),
    ("edge__multiple-failures-per-testcase.xml", 4, 1, 2, 0, 1, 0),
    ("edge__multiresult.xml", 4, 1, 2, 0, 1, 0),
    ("edge__negative-duration.xml", 1, 1, 0, 0, 0, 1),
    ("edge__no-attributes.xml", 4, 1, 1, 1, 1, 0),
    ("edge__no-cases-but-tests.xml", 0, 0, 0, 0, 0, 0),
    ("edge__root-testcase.xml", 1, 0, 0, 1, 0, 0),
    ("edge__time-with-thousands-separator.xml", 8, 8, 0, 0, 0, 0),
    ("edge__various-timestamps.xml", 12, 12, 0, 0, 0, 0),
    ("edge__with-xml-entities.xml", 4, 0, 1, 1, 2, 0),
    ("eslint-junit__jsx.xml", 1, 1, 0, 0, 0, 0),
    ("go-junit-report__bench.xml", 3, 3, 0, 0, 0, 0),
    ("go-junit-report__build-failed.xml", 5, 2, 0, 3, 0, 0),
    ("go-junit-report__subtests.xml", 11, 6, 4, 0, 1, 0),
    ("googletest__junit-with-message.xml", 1, 0, 1, 0, 0, 0),
    ("gotestsum__junitxml-report.xml", 60, 42, 13, 0, 5, 0),
    ("gotestsum__rerun-fails.xml", 3, 2, 0, 0, 1, 1),
    ("gotestsum__testcase-properties.xml", 1, 1, 0, 0, 0, 0),
    ("gradle__android-unit-test.xml", 6, 4, 2, 0, 0, 0),
    ("jasmine-reporters__nested-suites.xml", 3, 1, 1, 0, 1, 0),
    ("jest-junit__custom-suite-name.xml", 2, 2, 0, 0, 0, 0),
    ("jest-junit__empty-testsuite.xml", 0, 0, 0, 0, 0, 0),
    ("jest-junit__failures.xml", 6, 1, 4, 0, 1, 0),
    ("jest-junit__jest-repo-4239-tests.xml", 4239, 4207, 2, 0, 30, 0),
    ("karma-junit-reporter__angular.xml", 10, 10, 0, 0, 0, 0),
    ("marathon__android-instrumentation.xml", 1, 0, 1, 0, 0, 0),
    ("marathon__flakyFailure.xml", 1, 1, 0, 0, 0, 1),
    ("mocha-junit-reporter__latex-utensils.xml", 109, 109, 0, 0, 0, 0),
    ("mocha-junit-reporter__root-suite.xml", 1, 1, 0, 0, 0, 0),
    ("nested-4-levels__cluster.xml", 5, 2, 3, 0, 0, 0),
    ("nette-tester__v1.7.xml", 65, 61, 1, 0, 3, 0),
    ("nunit3-converted__NUnit.xml", 4, 3, 1, 0, 0, 0),
    ("perl-make-test__656KB.xml", 2653, 2652, 1, 0, 0, 0),
    ("perl-tap-junit__result.xml", 1, 1, 0, 0, 0, 0),
    ("phpunit-style__testsuite-in-testsuite.xml", 5, 5, 0, 0, 0, 0),
    ("phpunit-style__testsuite-root.xml", 5, 5, 0, 0, 0, 0),
    ("phpunit__empty.xml", 0, 0, 0, 0, 0, 0),
    ("phpunit__paths.xml", 6, 0, 6, 0, 0, 0),
    ("phpunit__phpunit-e2e.xml", 12, 10, 2, 0, 0, 0),
    ("playwright-1.22__epoch-ms-timestamp.xml", 28, 11, 1, 0, 16, 0),
    ("playwright__all-skipped.xml", 70, 0, 0, 0, 70, 0),
    ("playwright__windows-paths-unicode.xml", 63, 63, 0, 0, 0, 0),
    ("pytest-rerun-style__flaky-retries.xml", 3, 3, 0, 0, 0, 1),
    ("pytest-style__unsupported-unicode.xml", 7, 1, 2, 2, 2, 0),
    ("pytest__horovod-gloo-standalone.xml", 97, 80, 0, 0, 17, 0),
    ("pytest__horovod-spark-fail.xml", 5, 3, 1, 0, 1, 0),
    ("pytest__pytest-xunit-subtests-xfail.xml", 10, 6, 2, 0, 2, 0),
    ("ros-launch-testing__empty_failures.xml", 3, 2, 1, 0, 0, 0),
    ("rspec_junit_formatter-old__pending-skipped.xml", 31, 14, 0, 0, 17, 0),
    ("rspec_junit_formatter__failure.xml", 4, 3, 1, 0, 0, 0),
    ("rspec_junit_formatter__rails-386.xml", 386, 384, 1, 0, 1, 0),
    ("rspec_junit_formatter__zero-tests.xml", 0, 0, 0, 0, 0, 0),
    ("scalatest__DiffOptionsSuite.xml", 5, 5, 0, 0, 0, 0),
    ("soapui-like__package-attr-no-classname.xml", 6, 6, 0, 0, 0, 0),
    ("surefire-legacy__no-classname.xml", 8, 8, 0, 0, 0, 0),
    ("surefire-tycho__JENKINS-64117.xml", 3, 2, 0, 1, 0, 0),
    ("surefire3__cdata-split.xml", 1, 0, 1, 0, 0, 0),
    ("surefire3__empty-testcase-name.xml", 1, 0, 1, 0, 0, 0),
    ("surefire3__flakyFailure-flakyError.xml", 2, 2, 0, 0, 0, 1),
    ("surefire3__flakyFailure-junit3.xml", 1, 1, 0, 0, 0, 1),
    ("surefire3__rerunFailure.xml", 1, 0, 1, 0, 0, 0),
    ("surefire__TEST-AddMissingPatchVersionTest.xml", 2, 0, 1, 0, 1, 0),
    ("surefire__TEST-StringUtilsTest.xml", 5, 2, 2, 0, 1, 0),
    ("surefire__flakyFailure.xml", 1, 1, 0, 0, 0, 1),
    ("surefire__umlaut-path.xml", 1, 1, 0, 0, 0, 0),
    ("swift-xunit__swift-test.xml", 3, 2, 1, 0, 0, 0),
    ("synthetic-huge__1.2MB-negative-time.xml", 7580, 5131, 19, 0, 2430, 1),
    ("testng-surefire__pulsar-merged.xml", 808, 793, 1, 0, 14, 0),
    ("trx-converted__FluentValidation.xml", 804, 803, 0, 0, 1, 0),
    ("tst-cpp__disabled.xml", 31, 6, 19, 1, 5, 0),
    ("unittest-xml-reporting__unittest.xml", 8, 4, 1, 1, 2, 0),
    ("vitest__junit.xml", 55, 55, 0, 0, 0, 0),
    ("xcode-swift__no-time.xml", 3, 2, 1, 0, 0, 0),
    ("xunit-net__xunit-junit.xml", 2, 2, 0, 0, 0, 0),
]


def _by_name(tests: list[TestCase]) -> dict[str, TestCase]:
    return {t.name: t for t in tests}


@pytest.mark.parametrize(
    ("name", "total", "passed", "failed", "errors", "skipped", "flaky"), TOTALS
)
def test_corpus_totals(
    name: str, total: int, passed: int, failed: int, errors: int, skipped: int, flaky: int
) -> None:
    tests = read_junit(FIX / name)
    statuses = [t.status for t in tests]
    got = (
        len(tests),
        statuses.count("passed"),
        statuses.count("failed"),
        statuses.count("error"),
        statuses.count("skipped"),
        sum(t.flaky for t in tests),
    )
    assert got == (total, passed, failed, errors, skipped, flaky)


def test_every_corpus_file_is_in_the_table_or_refused() -> None:
    listed = {row[0] for row in TOTALS}
    refused = {"hostile__xxe.xml", "surefire3__TEST-CorruptTest.xml"}
    assert {p.name for p in FIX.glob("*.xml")} == listed | refused


@pytest.mark.parametrize("name", [row[0] for row in TOTALS])
def test_corpus_files_are_detected_as_junit(name: str) -> None:
    path = FIX / name
    assert JUnitAdapter().sniff(read_head(path), path) >= 40
    assert default_registry().detect(path).name == "junit"  # by every installed adapter


def test_surefire_flaky_failure_passes_with_attempts() -> None:
    t = _by_name(read_junit(FIX / "surefire3__flakyFailure-flakyError.xml"))
    flaky = t["testFlaky"]
    assert (flaky.status, flaky.flaky) == ("passed", True)
    assert flaky.attempts == 5  # 1 + four flakyFailure/flakyError elements
    assert flaky.message == "expected: <1> but was: <0>"
    assert flaky.trace is not None
    assert len(flaky.trace) <= MAX_TRACE_CHARS + 100
    assert (t["testStable"].flaky, t["testStable"].attempts) == (False, 1)


def test_surefire_rerun_failure_fails_every_attempt() -> None:
    (t,) = read_junit(FIX / "surefire3__rerunFailure.xml")
    assert (t.status, t.flaky, t.attempts) == ("failed", False, 4)
    assert t.message == "built to fail"


def test_repeated_case_after_a_failure_is_one_flaky_test() -> None:
    # gotestsum --rerun-fails writes the same case again; the rerun passed
    t = _by_name(read_junit(FIX / "gotestsum__rerun-fails.xml"))
    race = t["TestWebSocketReconnectRace"]
    assert (race.status, race.flaky, race.attempts) == ("passed", True, 2)
    assert race.duration_s == pytest.approx(3.32 + 7.78)
    # pytest-rerunfailures style: failure, error, pass; same name in another class is separate
    tests = read_junit(FIX / "pytest-rerun-style__flaky-retries.xml")
    foo = [x for x in tests if x.name == "test_foo"]
    assert sorted((x.classname, x.attempts, x.flaky) for x in foo) == [
        ("test_bar.TestBar", 1, False),
        ("test_foo.TestFoo", 3, True),
    ]


def test_multiple_failures_first_message_all_traces() -> None:
    t = _by_name(read_junit(FIX / "edge__multiple-failures-per-testcase.xml"))
    multi = t["testWithMultipleFailures"]
    assert multi.status == "failed"
    assert multi.message == "First assertion failed"
    assert multi.trace is not None
    assert multi.trace.count("\n\n") >= 1


def test_skipped_and_failure_together_is_a_failure() -> None:
    t = _by_name(read_junit(FIX / "edge__multiresult.xml"))
    assert t["test that errors"].status == "failed"
    assert t["test that fails"].status == "failed"
    assert t["test that is skipped"].status == "skipped"
    assert t["test that succeeds"].status == "passed"


def test_suite_level_error_becomes_one_error() -> None:
    (t,) = read_junit(FIX / "ant__error-at-suite-level.xml")
    assert (t.name, t.status, t.suite) == (
        SUITE_LEVEL_NAME,
        "error",
        "gda.device.detector.XHDetectorTest",
    )
    assert t.message == "gda/device/detector/DAServer"


def test_odd_times() -> None:
    t = read_junit(FIX / "edge__time-with-thousands-separator.xml")
    assert all(x.duration_s >= 10.0 for x in t)
    (perl,) = read_junit(FIX / "perl-tap-junit__result.xml")
    assert perl.duration_s == pytest.approx(4.50611114501953e-05)
    # two entries of one id in a suite whose own count is tests="1": two attempts of one test
    neg = read_junit(FIX / "edge__negative-duration.xml")
    assert [(x.duration_s, x.attempts) for x in neg] == [(100.0, 2)]
    (ant,) = read_junit(FIX / "antunit__child-element-counts.xml")
    assert ant.duration_s == pytest.approx(0.378)  # AntUnit's <time> child element


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("1.5", 1.5),
        ("2,503.1", 2503.1),
        ("4.5e-05", 4.5e-05),
        ("", 0.0),
        (None, 0.0),
        ("-4416.24", 0.0),
        ("NaN", 0.0),
        ("inf", 0.0),
        ("soon", 0.0),
        (" 3 ", 3.0),
    ],
)
def test_parse_time(raw: str | None, seconds: float) -> None:
    assert parse_time(raw) == pytest.approx(seconds)


def test_nested_suites_name_the_innermost_suite() -> None:
    tests = read_junit(FIX / "nested-4-levels__cluster.xml")
    assert [(t.suite, t.name) for t in tests] == [
        ("TestA", "A"),
        ("TestA", "B"),
        ("TestB", "A"),
        ("TestB", "B"),
        ("packet", "A"),  # a case after the inner suites closed belongs to the outer one
    ]
    assert len({t.id for t in tests}) == 5


def test_phpunit_file_and_line() -> None:
    tests = read_junit(FIX / "phpunit__phpunit-e2e.xml")
    assert all(t.file for t in tests)
    unit = [t for t in tests if t.line is not None]
    assert unit
    assert all(t.classname.startswith("PHPUnit.") for t in unit)
    paths = read_junit(FIX / "phpunit__paths.xml")
    assert (paths[0].file, paths[0].line) == ("/home/runner/work/repo/src/Fake.php", 42)


def test_root_testcase_and_properties() -> None:
    (t,) = read_junit(FIX / "edge__root-testcase.xml")
    assert (t.suite, t.status, t.name) == ("", "error", "shouldParseEmptyFile")
    assert t.message is not None
    assert t.message.startswith("org.json.JSONException")
    (p,) = read_junit(FIX / "gotestsum__testcase-properties.xml")
    assert p.properties == {"hello": "world", "other": "side"}


def test_messages_and_traces_are_bounded(tmp_path: Path) -> None:
    big = "x" * (MAX_TRACE_CHARS * 5)
    f = tmp_path / "big.xml"
    f.write_text(
        f'<testsuite><testcase name="a"><failure message="{"m" * (MAX_MESSAGE_CHARS * 2)}">'
        f"{big}</failure><system-out>{big}</system-out></testcase></testsuite>"
    )
    (t,) = read_junit(f)
    assert t.message is not None
    assert len(t.message) < MAX_MESSAGE_CHARS + 100
    assert t.trace is not None
    assert len(t.trace) < MAX_TRACE_CHARS + 100
    assert "more characters cut by testgate" in t.trace


def test_bazel_status_and_playwright_skips() -> None:
    (b,) = read_junit(FIX / "bazel__suite-logs.xml")
    assert (b.status, b.message) == ("error", "exited with error code 1")
    tst = read_junit(FIX / "tst-cpp__disabled.xml")
    assert [t.status for t in tst].count("skipped") == 5  # status='disabled'


def test_ctest_status_attributes() -> None:
    t = _by_name(read_junit(FIX / "ctest__output-junit.xml"))
    assert t["unit_strings"].message == "Failed"
    assert t["integration_db"].message == "Required files are missing"
    assert t["slow_soak"].status == "skipped"
    assert t["unit_io"].duration_s == pytest.approx(0.015)
    assert t["unit_math"].properties == {"labels": "unit"}
