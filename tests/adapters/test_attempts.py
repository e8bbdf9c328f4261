"""Entries of one test id in one report are attempts of one test (issue 11, items 1 and 2).

Each test runs the real producer (pytest with pytest-rerunfailures, pytest's own teardown
handling) and checks testgate's reading against pytest's summary line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.adapters._attempts import merge_attempt, merge_repeated
from testgate.adapters.ingest import ingest
from testgate.adapters.junit import read_junit
from testgate.model import TestCase

RERUNS = """
import os

def _attempt(name):
    path = os.path.join(os.path.dirname(__file__), "." + name)
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    open(path, "w").write(str(n))
    return n

def test_passes():
    assert True

def test_flaky():
    assert _attempt("flaky") >= 3, "fails twice, then passes"

def test_always_fails():
    assert 1 == 2, "never passes"
"""

TEARDOWN = """
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown exploded")

def test_body_and_teardown_fail(broken_teardown):
    assert False, "the body failed"

def test_ok():
    pass
"""


def _run_pytest(tmp_path: Path, source: str, *args: str) -> tuple[Path, dict[str, int]]:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(source))
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit2",
            f"--junitxml={report}",
            *args,
            "test_sample.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = proc.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}
    assert counts, proc.stdout + proc.stderr
    return report, counts


def test_pytest_rerunfailures_attempts_are_one_test(tmp_path: Path) -> None:
    pytest.importorskip("pytest_rerunfailures")
    report, said = _run_pytest(tmp_path, RERUNS, "--reruns", "2")
    assert said == {"failed": 1, "passed": 2, "rerun": 4}  # what pytest's summary line says
    # pytest-rerunfailures writes one <testcase> per attempt, the failed ones empty
    assert report.read_text().count("<testcase ") == 7

    run = ingest([report]).run
    m = run.metrics
    assert m["tests.total"] == said["failed"] + said["passed"]
    assert (m["tests.failed"], m["tests.passed"], m["tests.flaky"]) == (1, 2, 1)
    by_name = {t.name: t for t in run.tests}
    assert sum(t.attempts - 1 for t in run.tests) == said["rerun"]
    flaky, failing = by_name["test_flaky"], by_name["test_always_fails"]
    assert (flaky.status, flaky.flaky, flaky.attempts) == ("passed", True, 3)
    assert (failing.status, failing.flaky, failing.attempts) == ("failed", False, 3)
    assert failing.message is not None
    assert "never passes" in failing.message
    assert (by_name["test_passes"].attempts, by_name["test_passes"].flaky) == (1, False)


def test_failure_plus_teardown_error_is_one_failed_test(tmp_path: Path) -> None:
    report, said = _run_pytest(tmp_path, TEARDOWN, "-p", "no:rerunfailures")
    assert said == {"failed": 1, "passed": 1, "error": 1}
    run = ingest([report]).run
    m = run.metrics
    # pytest counts the test's failure and its teardown's error; it is one test that failed
    assert (m["tests.total"], m["tests.failed"], m["tests.errors"]) == (2, 1, 0)
    (bad,) = [t for t in run.tests if t.status != "passed"]
    assert (bad.name, bad.status, bad.attempts, bad.flaky) == (
        "test_body_and_teardown_fail",
        "failed",
        1,
        False,
    )
    assert bad.message is not None
    assert "the body failed" in bad.message
    assert bad.trace is not None
    assert "assert False" in bad.trace
    assert bad.teardown_error is not None
    assert "teardown exploded" in bad.teardown_error
    # pytest's errors = testgate's errors + the teardown errors kept beside failures
    kept = sum(1 for t in run.tests if t.teardown_error)
    assert m["tests.errors"] + kept == said["error"]
    # and it survives summary.json
    again = TestCase.from_dict(bad.to_dict())
    assert again.teardown_error == bad.teardown_error


def test_reruns_with_teardown_errors(tmp_path: Path) -> None:
    pytest.importorskip("pytest_rerunfailures")
    report, said = _run_pytest(tmp_path, TEARDOWN, "--reruns", "1")
    assert said["failed"] == 1
    tests = {t.name: t for t in read_junit(report)}
    assert len(tests) == 2
    bad = tests["test_body_and_teardown_fail"]
    assert (bad.status, bad.attempts) == ("failed", 2)
    assert bad.teardown_error is not None


def test_repeated_ids_with_the_suites_own_count_are_distinct_tests(tmp_path: Path) -> None:
    # jest's it.each, mocha and TestNG data providers repeat a name for distinct tests and
    # count every one in the suite's tests=: they stay distinct
    f = tmp_path / "r.xml"
    f.write_text(
        '<testsuites><testsuite name="s" tests="3">'
        '<testcase classname="c" name="same"/><testcase classname="c" name="same"/>'
        '<testcase classname="c" name="other"/></testsuite></testsuites>'
    )
    assert [t.attempts for t in read_junit(f)] == [1, 1, 1]
    f.write_text(f.read_text().replace('tests="3"', 'tests="2"'))
    assert [(t.name, t.attempts, t.flaky) for t in read_junit(f)] == [
        ("same", 2, True),
        ("other", 1, False),
    ]


def test_merge_repeated_keeps_the_last_outcome_and_first_position() -> None:
    def tc(name: str, status: str, msg: str | None = None) -> TestCase:
        return TestCase("s", "c", name, status, 1.0, message=msg)

    out = merge_repeated(
        [tc("a", "failed", "boom"), tc("b", "passed"), tc("a", "passed"), tc("b", "error", "x")]
    )
    assert [(t.name, t.status, t.attempts, t.flaky, t.message) for t in out] == [
        ("a", "passed", 2, True, "boom"),
        ("b", "error", 2, False, "x"),
    ]
    assert out[0].duration_s == 2.0
    # a skipped entry followed by a pass is not flaky
    assert not merge_attempt(tc("z", "skipped"), tc("z", "passed")).flaky


GO_TESTS = """\
package calc

import (
\t"os"
\t"path/filepath"
\t"strconv"
\t"testing"
)

func attempt(name string) int {
\tpath := filepath.Join(os.Getenv("ATTEMPTS_DIR"), name)
\tb, _ := os.ReadFile(path)
\tn, _ := strconv.Atoi(string(b))
\tn++
\tos.WriteFile(path, []byte(strconv.Itoa(n)), 0o644)
\treturn n
}

func TestAdds(t *testing.T) {
\tif 1+1 != 2 {
\t\tt.Fatal("arithmetic")
\t}
}

func TestFlaky(t *testing.T) {
\tif attempt("flaky")%2 == 1 {
\t\tt.Fatal("fails on odd attempts")
\t}
}

func TestFails(t *testing.T) { t.Error("always") }
"""


def test_go_test_count_runs_are_attempts_of_one_test(tmp_path: Path) -> None:
    import os
    import shutil

    if shutil.which("go") is None:
        pytest.skip("go is not installed")
    (tmp_path / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    (tmp_path / "calc_test.go").write_text(GO_TESTS)
    env = {**os.environ, "ATTEMPTS_DIR": str(tmp_path), "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    proc = subprocess.run(
        ["go", "test", "-json", "-count=2", "./..."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    report = tmp_path / "go.jsonl"
    report.write_text(proc.stdout)
    # go's own record: each test ran twice; TestFlaky failed once and passed once
    ends = [
        line
        for line in proc.stdout.splitlines()
        if '"Action":"pass"' in line or '"Action":"fail"' in line
    ]
    assert sum('"Test":"TestFlaky"' in line for line in ends) == 2
    by_name = {t.name: t for t in ingest([report]).run.tests}
    assert sorted(by_name) == ["TestAdds", "TestFails", "TestFlaky"]
    assert (by_name["TestAdds"].attempts, by_name["TestAdds"].flaky) == (2, False)
    flaky = by_name["TestFlaky"]
    assert (flaky.status, flaky.attempts, flaky.flaky) == ("passed", 2, True)
    assert flaky.message is not None
    assert "fails on odd attempts" in flaky.message
    fails = by_name["TestFails"]
    assert (fails.status, fails.attempts, fails.message) == ("failed", 2, "calc_test.go:31: always")


def test_jest_junit_todos_when_a_real_test_also_took_no_time(tmp_path: Path) -> None:
    # jest-junit 17 writes test.todo as a childless case of time="0" and leaves it out of the
    # suite's tests=; a test that passed in 0 ms looks the same
    f = tmp_path / "junit.xml"
    suite = (
        '<testsuites name="jest tests" tests="{n}"><testsuite name="calc" tests="{n}">'
        '<testcase classname="calc adds" name="calc adds" time="{t}"></testcase>'
        '<testcase classname="calc later" name="calc later" time="0"></testcase>'
        "</testsuite></testsuites>"
    )
    f.write_text(suite.format(n=1, t="0.004"))
    assert [(t.name, t.status) for t in read_junit(f)] == [
        ("calc adds", "passed"),
        ("calc later", "skipped"),
    ]
    # ambiguous: two cases of time="0" for one todo; none is guessed
    f.write_text(suite.format(n=1, t="0"))
    assert [t.status for t in read_junit(f)] == ["passed", "passed"]
