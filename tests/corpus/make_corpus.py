"""Regenerate the files of tests/corpus that real producers write on this machine.

    .venv/bin/python tests/corpus/make_corpus.py OUT_DIR [NODE_MODULES]

Runs each producer (pytest and pytest-rerunfailures, unittest-xml-reporting, node --test,
jest with jest-junit, mocha with mocha-junit-reporter, vitest, googletest, Catch2, CTest,
coverage.py, gcovr, bandit, ruff, eslint with eslint-plugin-sonarjs, detect-secrets,
complexipy, interrogate, docstr-coverage) on a small project made in a scratch folder and
copies what it wrote into OUT_DIR, with each producer's own summary in OUT_DIR/summaries.txt.
The files in tests/corpus were made so; MANIFEST.md records the summaries. Times and absolute
paths differ from run to run; the counts do not. NODE_MODULES holds jest, jest-junit, mocha,
mocha-junit-reporter, vitest, eslint and eslint-plugin-sonarjs (npm install them there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

BIN = Path(sys.executable).parent
SUMMARIES: list[str] = []


def sh(cmd: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})}
    return subprocess.run(
        cmd, shell=True, cwd=cwd, env=full, capture_output=True, text=True, timeout=600
    )


def keep(src: Path, out: Path, name: str, summary: str) -> None:
    dest = out / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    SUMMARIES.append(f"{dest.relative_to(OUT)}: {summary.strip()}")


def last_line(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[-1] if lines else ""


PYTEST_MIXED = """
import pytest

def test_pass():
    assert 1 + 1 == 2

def test_fail():
    assert "<&>" == "]]>", "odd & <chars>"

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_error(broken):
    pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 3
"""

PYTEST_RERUNS = """
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

PYTEST_TEARDOWN = """
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

UNITTEST = """
import unittest

class Calc(unittest.TestCase):
    def test_add(self):
        self.assertEqual(1 + 1, 2)

    def test_fail(self):
        self.assertEqual(1 + 1, 3, "arithmetic")

    def test_error(self):
        raise KeyError("missing")

    @unittest.skip("not today")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)

if __name__ == "__main__":
    import xmlrunner
    unittest.main(testRunner=xmlrunner.XMLTestRunner(output="reports"), exit=False)
"""


def python_producers(work: Path) -> None:
    for name, src, args, out in (
        ("mixed", PYTEST_MIXED, "", "pytest__mixed.xml"),
        ("reruns", PYTEST_RERUNS, "--reruns 2", "pytest-rerunfailures__reruns.xml"),
        (
            "teardown",
            PYTEST_TEARDOWN,
            "-p no:rerunfailures",
            "pytest__failure-and-teardown-error.xml",
        ),
    ):
        d = work / f"py-{name}"
        d.mkdir()
        (d / "test_sample.py").write_text(textwrap.dedent(src))
        p = sh(f"python -m pytest -p no:cacheprovider --junitxml=r.xml {args} test_sample.py", d)
        version = (
            sh("python -m pytest --version", d).stdout.strip()
            or sh("python -m pytest --version", d).stderr.strip()
        )
        keep(d / "r.xml", OUT / "junit", out, f"{version}; {last_line(p.stdout)}")
    d = work / "unittest"
    d.mkdir()
    (d / "test_calc.py").write_text(UNITTEST)
    p = sh("python test_calc.py", d)
    (report,) = (d / "reports").glob("*.xml")
    version = sh("python -c 'import xmlrunner; print(xmlrunner.__version__)'", d).stdout.strip()
    keep(
        report,
        OUT / "junit",
        "unittest-xml-reporting__calc.xml",
        f"unittest-xml-reporting {version}; {last_line(p.stderr)}; {p.stderr.strip().splitlines()[-3]}",
    )


NODE_TESTS = """\
const { test, describe } = require('node:test');
const assert = require('node:assert');
const { sign } = require('./calc.js');
describe('math', () => {
  test('adds', () => { assert.strictEqual(1 + 1, 2); });
  test('todo passing', { todo: 'later' }, () => {});
  test('todo failing', { todo: true }, () => { assert.strictEqual(1, 2); });
  test('skipped', { skip: 'not today' }, () => {});
  test('fails', () => { assert.strictEqual(sign(-2), 1); });
});
test('top level', () => { assert.strictEqual(sign(0), 0); });
"""

CALC_JS = """\
function add(a, b) { return a + b; }
function sign(n) {
  if (n < 0) return -1;
  if (n === 0) return 0;
  return 1;
}
module.exports = { add, sign };
"""

JEST_TESTS = """\
const { add, sign } = require('./calc');
// every test takes a few milliseconds: jest-junit writes a test.todo as time="0", like a
// test that took no time at all, so a 0 ms test would make the todos ambiguous (see
// docs/formats-tests.md)
const spin = () => { const t = Date.now(); while (Date.now() - t < 3) {} };
describe('calc', () => {
  test('adds', () => { spin(); expect(add(1, 2)).toBe(3); });
  test('fails', () => { spin(); expect(add(1, 2)).toBe(4); });
  test.todo('divides some day');
  test.skip('skipped', () => {});
  test.each([[1, 1], [-3, -1]])('sign(%i)', (n, s) => { spin(); expect(sign(n)).toBe(s); });
});
test('top level', () => { spin(); });
"""

MOCHA_TESTS = """\
const assert = require('assert');
const { add, sign } = require('./calc');
describe('calc', function () {
  it('adds', function () { assert.strictEqual(add(1, 2), 3); });
  it('fails', function () { assert.strictEqual(add(1, 2), 4); });
  it.skip('skipped', function () {});
  it('is pending');
  describe('sign', function () {
    it('of -3', function () { assert.strictEqual(sign(-3), -1); });
  });
});
"""

VITEST_TESTS = """\
import { describe, test, expect } from 'vitest';
import { add, sign } from './calc.js';
describe('calc', () => {
  test('adds', () => { expect(add(1, 2)).toBe(3); });
  test('fails', () => { expect(add(1, 2)).toBe(4); });
  test.todo('divides some day');
  test.skip('skipped', () => {});
  test.each([[1, 1], [-3, -1]])('sign(%i)', (n, s) => { expect(sign(n)).toBe(s); });
});
"""


def node_producers(work: Path, modules: Path | None) -> None:
    d = work / "node"
    d.mkdir()
    (d / "calc.js").write_text(CALC_JS)
    (d / "t.test.js").write_text(NODE_TESTS)
    sh(
        "node --test --experimental-test-coverage --test-reporter=junit "
        "--test-reporter-destination=out.xml --test-reporter=tap --test-reporter-destination=out.tap "
        "--test-reporter=lcov --test-reporter-destination=lcov.info t.test.js",
        d,
    )
    v = sh("node --version", d).stdout.strip()
    tap = (d / "out.tap").read_text()
    own = "; ".join(
        x[2:]
        for x in tap.splitlines()
        if x.startswith("# ")
        and x.split()[1] in ("tests", "pass", "fail", "skipped", "todo", "cancelled")
    )
    keep(d / "out.xml", OUT / "junit", "node-test__junit.xml", f"node {v} --test; {own}")
    keep(d / "out.tap", OUT / "tests", "node-test__tap.tap", f"node {v} --test; {own}")
    keep(
        d / "lcov.info",
        OUT / "coverage",
        "node-test__lcov.info",
        f"node {v} --experimental-test-coverage",
    )
    if modules is None:
        return
    j = work / "jest"
    j.mkdir()
    (j / "node_modules").symlink_to(modules, target_is_directory=True)
    (j / "calc.js").write_text(CALC_JS)
    (j / "calc.test.js").write_text(JEST_TESTS)
    (j / "package.json").write_text('{"name": "calc", "version": "1.0.0"}')
    p = sh(
        "node_modules/.bin/jest --ci --reporters=default --reporters=jest-junit --json "
        "--outputFile=jest.json --coverage --coverageReporters=json --coverageReporters=json-summary "
        "--coverageReporters=lcov --coverageReporters=cobertura --coverageReporters=clover",
        j,
        env={"JEST_JUNIT_OUTPUT_FILE": "junit.xml", "FORCE_COLOR": "1"},
    )
    from testgate.adapters._text import strip_ansi

    said = next(x for x in strip_ansi(p.stderr).splitlines() if x.startswith("Tests:"))
    jv = sh("node_modules/.bin/jest --version", j).stdout.strip()
    keep(j / "junit.xml", OUT / "junit", "jest-junit__jest.xml", f"jest {jv} + jest-junit; {said}")
    keep(
        j / "jest.json",
        OUT / "tests",
        "jest__results.json",
        f"jest {jv} --json (FORCE_COLOR=1); {said}",
    )
    for f, n in (
        ("coverage-final.json", "istanbul__coverage-final.json"),
        ("coverage-summary.json", "istanbul__coverage-summary.json"),
        ("lcov.info", "istanbul__lcov.info"),
        ("cobertura-coverage.xml", "istanbul__cobertura.xml"),
        ("clover.xml", "istanbul__clover.xml"),
    ):
        keep(j / "coverage" / f, OUT / "coverage", n, f"jest {jv} --coverage ({f})")
    m = work / "mocha"
    m.mkdir()
    (m / "node_modules").symlink_to(modules, target_is_directory=True)
    (m / "calc.js").write_text(CALC_JS)
    (m / "test.js").write_text(MOCHA_TESTS)
    # includePending: without it the reporter leaves pending tests out of the file (they are
    # only counted in the root's skipped=)
    p = sh(
        "node_modules/.bin/mocha --reporter mocha-junit-reporter --reporter-options "
        "mochaFile=mocha.xml,includePending=true test.js; node_modules/.bin/mocha test.js",
        m,
    )
    mv = sh("node_modules/.bin/mocha --version", m).stdout.strip()
    own = " ".join(
        x.strip()
        for x in p.stdout.splitlines()
        if x.strip().endswith(("passing", "failing", "pending")) or " passing " in x
    )
    keep(m / "mocha.xml", OUT / "junit", "mocha-junit-reporter__mocha.xml", f"mocha {mv}; {own}")
    v = work / "vitest"
    v.mkdir()
    (v / "node_modules").symlink_to(modules, target_is_directory=True)
    (v / "calc.js").write_text(
        CALC_JS.replace("module.exports = { add, sign };", "export { add, sign };")
    )
    (v / "calc.test.js").write_text(VITEST_TESTS)
    (v / "package.json").write_text('{"name": "calc", "version": "1.0.0", "type": "module"}')
    p = sh(
        "node_modules/.bin/vitest run --reporter=default --reporter=junit --reporter=json "
        "--outputFile.junit=vitest.xml --outputFile.json=vitest.json",
        v,
        env={"NO_COLOR": "1"},
    )
    vv = sh("node_modules/.bin/vitest --version", v).stdout.strip()
    own = " ".join(
        x.strip() for x in strip_ansi(p.stdout).splitlines() if x.strip().startswith("Tests")
    )
    keep(v / "vitest.xml", OUT / "junit", "vitest__junit.xml", f"{vv}; {own}")
    keep(v / "vitest.json", OUT / "tests", "vitest__results.json", f"{vv}; {own}")


GTEST = """\
#include <gtest/gtest.h>
TEST(Calc, Adds) { EXPECT_EQ(1 + 1, 2); }
TEST(Calc, Fails) { EXPECT_EQ(1 + 1, 3) << "arithmetic"; }
TEST(Calc, DISABLED_Later) { EXPECT_EQ(1, 1); }
TEST(Calc, Skips) { GTEST_SKIP() << "not today"; }
class Param : public ::testing::TestWithParam<int> {};
TEST_P(Param, NotTwo) { EXPECT_NE(GetParam(), 2); }
INSTANTIATE_TEST_SUITE_P(Small, Param, ::testing::Values(1, 2, 3));
"""

CATCH = """\
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
TEST_CASE("adds", "[calc]") { REQUIRE(1 + 1 == 2); }
TEST_CASE("fails", "[calc]") { CHECK(1 + 1 == 3); }
TEST_CASE("sections", "[calc]") {
  SECTION("one") { REQUIRE(1 == 1); }
  SECTION("two") { REQUIRE(2 == 2); }
}
TEST_CASE("hidden", "[.]") { REQUIRE(false); }
"""

CMAKE = """\
cmake_minimum_required(VERSION 3.21)
project(calc C)
enable_testing()
add_executable(ok ok.c)
add_executable(bad bad.c)
add_test(NAME passes COMMAND ok)
add_test(NAME fails COMMAND bad)
add_test(NAME skipped COMMAND ok)
set_tests_properties(skipped PROPERTIES DISABLED TRUE)
add_test(NAME skip_code COMMAND bad)
set_tests_properties(skip_code PROPERTIES SKIP_RETURN_CODE 1)
"""


def cpp_producers(work: Path) -> None:
    g = work / "gtest"
    g.mkdir()
    (g / "t.cpp").write_text(GTEST)
    sh("g++ -std=c++17 t.cpp -lgtest -lgtest_main -pthread -o t", g)
    p = sh("./t --gtest_output=xml:gtest.xml", g)
    own = " | ".join(
        x.strip()
        for x in p.stdout.splitlines()
        if (
            x.startswith(("[  PASSED", "[  FAILED  ] ", "[  SKIPPED", "  YOU HAVE"))
            and "," not in x[:12]
        )
        or "tests ran" in x
    )
    keep(
        g / "gtest.xml",
        OUT / "junit",
        "googletest__calc.xml",
        f"googletest (Debian libgtest-dev); {own}",
    )
    c = work / "catch"
    c.mkdir()
    (c / "t.cpp").write_text(CATCH)
    sh("g++ -std=c++17 t.cpp -o t", c)
    sh("./t -r junit -o catch.xml", c)
    p = sh("./t", c)
    keep(
        c / "catch.xml",
        OUT / "junit",
        "catch2__calc.xml",
        f"Catch2 v2 (Debian catch2); {last_line(p.stdout)}",
    )
    m = work / "ctest"
    m.mkdir()
    (m / "CMakeLists.txt").write_text(CMAKE)
    (m / "ok.c").write_text("int main(void) { return 0; }\n")
    (m / "bad.c").write_text("int main(void) { return 1; }\n")
    sh(
        "cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build build >/dev/null",
        m,
    )
    p = sh("ctest --test-dir build --output-junit ctest.xml", m)
    own = " | ".join(
        x.strip() for x in p.stdout.splitlines() if "tests passed" in x or "Total Test" in x
    )
    keep(
        m / "build" / "ctest.xml",
        OUT / "junit",
        "ctest__calc.xml",
        f"{sh('ctest --version', m).stdout.splitlines()[0]}; {own}",
    )


COVERED = """\
def classify(n):
    if n < 0:
        kind = "negative"
    elif n == 0:
        kind = "zero"
    else:
        kind = "positive"
    for _ in range(n if n > 0 else 0):
        if n > 5:
            break
    return kind


def pick(a, b):
    return a if a else b


def unused(x):
    if x:
        return 1
    return 2
"""

COVERED_TESTS = """\
from pkg.calc import classify, pick


def test_negative():
    assert classify(-1) == "negative"


def test_big():
    assert classify(9) == "positive"


def test_pick():
    assert pick(1, 2) == 1
"""

C_PROGRAM = """\
#include <stdio.h>

int classify(int x) {
    if (x > 0 && x < 10) {
        return 1;
    } else if (x < 0) {
        return -1;
    }
    return 0;
}

int unused(int y) {
    return y * 2;
}

int main(void) {
    int s = 0;
    for (int i = 0; i < 5; i++) {
        s += classify(i);
    }
    printf("%d\\n", s);
    return 0;
}
"""

INSECURE = """\
\"\"\"Deliberately insecure code for the scanners.\"\"\"

import hashlib
import subprocess

PASSWORD = "hunter2"  # a hard-coded password
aws_key = "AKIAIOSFODNN7EXAMPLE"


def run(cmd):
    \"\"\"Run a shell command.\"\"\"
    return subprocess.call(cmd, shell=True)


def digest(data):
    return hashlib.md5(data).hexdigest()


def tangled(a, b, c):
    if a:
        for i in range(b):
            if i % 2 and c:
                while c:
                    c -= 1
                    if c == 3 or (a and b):
                        break
            elif i > 3:
                continue
    return a


class Thing:
    def method(self):
        return eval("1 + 1")
"""


def coverage_producers(work: Path) -> None:
    d = work / "covpy"
    (d / "pkg").mkdir(parents=True)
    (d / "pkg" / "__init__.py").write_text("")
    (d / "pkg" / "calc.py").write_text(COVERED)
    (d / "test_calc.py").write_text(COVERED_TESTS)
    (d / ".coveragerc").write_text("[run]\nbranch = True\nsource = pkg\n")
    sh(
        "python -m coverage run -m pytest -q -p no:cacheprovider test_calc.py",
        d,
        env={"PYTHONPATH": str(d)},
    )
    report = sh("python -m coverage report", d).stdout
    v = sh("python -m coverage --version", d).stdout.splitlines()[0]
    sh(
        "python -m coverage xml -o cov.xml && python -m coverage json -o cov.json && python -m coverage lcov -o cov.info",
        d,
    )
    for f, n in (
        ("cov.xml", "coveragepy__cobertura.xml"),
        ("cov.json", "coveragepy__json.json"),
        ("cov.info", "coveragepy__lcov.info"),
    ):
        keep(d / f, OUT / "coverage", n, f"{v}; coverage report TOTAL: {last_line(report)}")
    g = work / "gcovr"
    (g / "src").mkdir(parents=True)
    (g / "src" / "calc.c").write_text(C_PROGRAM)
    sh("git init -q . && gcc --coverage -O0 -o calc src/calc.c && ./calc", g)
    sh(
        "python -m gcovr -r . --cobertura cob.xml --lcov cov.info --clover clo.xml --json-summary sum.json --txt txt.txt",
        g,
    )
    gv = sh("python -m gcovr --version", g).stdout.splitlines()[0]
    total = (g / "sum.json").read_text()
    import json as _json

    t = _json.loads(total)
    own = f"lines {t['line_covered']}/{t['line_total']}, branches {t['branch_covered']}/{t['branch_total']}"
    for f, n in (
        ("cob.xml", "gcovr__cobertura.xml"),
        ("cov.info", "gcovr__lcov.info"),
        ("clo.xml", "gcovr__clover.xml"),
    ):
        keep(g / f, OUT / "coverage", n, f"{gv}; gcovr --json-summary: {own}")


def static_producers(work: Path, modules: Path | None) -> None:
    d = work / "static"
    d.mkdir()
    (d / "app.py").write_text(INSECURE)
    (d / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 100\n[tool.ruff.lint]\nselect = ['E', 'F', 'S', 'B']\n"
    )
    p = sh(
        "bandit -q -f json -o bandit.json app.py; bandit -q -f sarif -o bandit.sarif app.py; bandit app.py",
        d,
    )
    bv = sh("bandit --version", d).stdout.splitlines()[0]
    own = " ".join(
        x.strip()
        for x in p.stdout.splitlines()
        if x.strip().startswith(("Low:", "Medium:", "High:", "Total issues"))
    )
    keep(d / "bandit.json", OUT / "security", "bandit__json.json", f"{bv}; {own}")
    keep(d / "bandit.sarif", OUT / "security", "bandit__sarif.sarif", f"{bv}; {own}")
    p = sh(
        "ruff check --output-format json -o ruff.json app.py; ruff check --output-format sarif -o ruff.sarif app.py; ruff check --statistics app.py",
        d,
    )
    rv = sh("ruff --version", d).stdout.strip()
    keep(
        d / "ruff.json",
        OUT / "lint",
        "ruff__json.json",
        f"{rv}; --statistics: {' | '.join(p.stdout.split(chr(10))[:8])}",
    )
    keep(d / "ruff.sarif", OUT / "lint", "ruff__sarif.sarif", f"{rv}; same run as ruff__json.json")
    p = sh("detect-secrets scan app.py > secrets.json", d)
    dv = sh("detect-secrets --version", d).stdout.strip()
    keep(d / "secrets.json", OUT / "security", "detect-secrets__scan.json", f"detect-secrets {dv}")
    sh("complexipy . --output-format json --output cx.json -i", d)
    cv = sh("complexipy --version", d).stdout.strip()
    keep(d / "cx.json", OUT / "quality", "complexipy__json.json", f"{cv}")
    p = sh("interrogate -v --fail-under 0 -o interrogate.txt app.py", d)
    iv = sh("interrogate --version", d).stdout.strip()
    keep(d / "interrogate.txt", OUT / "quality", "interrogate__report.txt", f"{iv}")
    p = sh("docstr-coverage app.py 2> docstr.txt", d)
    keep(
        d / "docstr.txt",
        OUT / "quality",
        "docstr-coverage__report.txt",
        "docstr-coverage 2.3.2 (its report is on stderr)",
    )
    if modules is None:
        return
    e = work / "eslint"
    e.mkdir()
    (e / "node_modules").symlink_to(modules, target_is_directory=True)
    (e / "app.js").write_text(
        CALC_JS
        + "const unused = 1;\nfunction tangled(a, b, c) {\n  if (a) {\n    for (let i = 0; i < b; i++) {\n      if (i % 2 && c) { while (c) { c -= 1; if (c === 3 || (a && b)) { break; } } } else if (i > 3) { continue; }\n    }\n  }\n  return a;\n}\n"
    )
    (e / "eslint.config.mjs").write_text(
        'import sonarjs from "eslint-plugin-sonarjs";\n'
        'export default [{ files: ["**/*.js"], languageOptions: { sourceType: "commonjs" }, plugins: { sonarjs },\n'
        '  rules: { "sonarjs/cognitive-complexity": ["error", 0], "no-unused-vars": "warn", "eqeqeq": "error" } }];\n'
    )
    (e / "package.json").write_text('{"name": "app", "version": "1.0.0"}')
    sh("node_modules/.bin/eslint -f json -o eslint.json app.js", e)
    p = sh("node_modules/.bin/eslint app.js", e)
    ev = sh("node_modules/.bin/eslint --version", e).stdout.strip()
    keep(
        e / "eslint.json",
        OUT / "lint",
        "eslint-sonarjs__json.json",
        f"eslint {ev} + eslint-plugin-sonarjs; {last_line(p.stdout)}",
    )


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

func TestSkips(t *testing.T) { t.Skip("not today") }

func TestFails(t *testing.T) { t.Error("always") }
"""


def go_producers(work: Path) -> None:
    d = work / "go"
    d.mkdir()
    (d / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    (d / "calc_test.go").write_text(GO_TESTS)
    env = {"ATTEMPTS_DIR": str(d), "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    sh("go test -json -count=2 ./... > go.jsonl", d, env=env)
    v = sh("go version", d).stdout.strip()
    keep(d / "go.jsonl", OUT / "tests", "go-test__json-count2.jsonl", f"{v}; -count=2")


if __name__ == "__main__":
    OUT = Path(sys.argv[1]).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    modules = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        python_producers(work)
        node_producers(work, modules)
        cpp_producers(work)
        coverage_producers(work)
        static_producers(work, modules)
        go_producers(work)
    (OUT / "summaries.txt").write_text("\n".join(SUMMARIES) + "\n")
    print("\n".join(SUMMARIES))
