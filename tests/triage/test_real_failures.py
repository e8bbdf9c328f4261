"""Categories and fingerprints of real failures: real pytest, node --test and jest runs that
fail for real (a refused connection, a DNS failure, an import error, a timeout, a segfaulting
child), read through the real JUnit adapter."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from testgate.triage import categorize, fingerprint, signature

from .conftest import failures, run_pytest

HELPERS = """
def check(x):
    if x > 2:
        raise ValueError(f"bad value {x} at 0x7f3a2c")
    return x
"""

PYTEST_TESTS = """
import socket, subprocess, sys, time
import pytest
from helpers import check

@pytest.mark.parametrize("v", [3, 4])
def test_param(v):
    check(v)

def test_other_caller():
    check(5)

def test_assert():
    assert {"a": 1} == {"a": 2}

def test_assert_elsewhere():
    assert [1, 2] == [1, 3]

def test_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=2)

def test_dns():
    socket.getaddrinfo("no-such-host.invalid", 80)

@pytest.mark.timeout(0.5)
def test_hangs():
    time.sleep(10)

def test_segfaulting_child():
    subprocess.run([sys.executable, "-c", "import ctypes; ctypes.string_at(0)"], check=True)

def test_keyerror():
    {}["missing"]
"""


@pytest.fixture(scope="module")
def pytest_failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("pyrepo")
    (root / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (root / "test_a.py").write_text(textwrap.dedent(PYTEST_TESTS))
    (root / "test_broken_import.py").write_text(
        "import not_a_module_xyz\n\ndef test_x():\n    pass\n"
    )
    # --continue-on-collection-errors: the import error is reported and the rest still runs
    return failures(run_pytest(root, "--continue-on-collection-errors"))


@pytest.mark.parametrize(
    ("test", "category"),
    [
        ("test_param[3]", "exception"),
        ("test_assert", "assertion"),
        ("test_refused", "infrastructure"),
        ("test_dns", "infrastructure"),
        ("test_hangs", "timeout"),
        ("test_segfaulting_child", "crash"),
        ("test_keyerror", "exception"),
        ("test_broken_import", "collection"),
    ],
)
def test_pytest_categories(pytest_failures: dict[str, object], test: str, category: str) -> None:
    tc = pytest_failures[test]
    assert categorize(tc) == category  # type: ignore[arg-type]


def test_pytest_fingerprints_group_by_cause(pytest_failures: dict[str, object]) -> None:
    fp = {name: fingerprint(tc) for name, tc in pytest_failures.items()}  # type: ignore[arg-type]
    # the two parameters of one test, and another test failing in the same helper
    assert fp["test_param[3]"] == fp["test_param[4]"] == fp["test_other_caller"]
    # unrelated failures do not share
    others = [
        "test_param[3]",
        "test_assert",
        "test_assert_elsewhere",
        "test_refused",
        "test_dns",
        "test_hangs",
        "test_segfaulting_child",
        "test_keyerror",
        "test_broken_import",
    ]
    assert len({fp[n] for n in others}) == len(others)
    sig = signature(pytest_failures["test_param[4]"])  # type: ignore[arg-type]
    assert sig.kind == "ValueError"
    assert sig.where.startswith("helpers.py::check")


NODE_TESTS = """
import { test } from 'node:test';
import assert from 'node:assert';
import net from 'node:net';
import dns from 'node:dns/promises';
import { spawnSync } from 'node:child_process';

function check(x) { if (x > 2) throw new RangeError(`bad value ${x}`); return x; }

for (const v of [3, 4]) test(`check rejects ${v}`, () => { check(v); });
test('another caller', () => { check(9); });
test('sum', () => { assert.strictEqual(1 + 1, 3); });
test('db refused', async () => {
  const srv = net.createServer(); await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port; await new Promise(r => srv.close(r));
  await new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1'); s.on('connect', resolve); s.on('error', reject);
  });
});
test('dns', async () => { await dns.lookup('no-such-host.invalid'); });
test('slow', { timeout: 200 }, async () => { await new Promise(r => setTimeout(r, 5000)); });
test('child segfault', () => {
  const r = spawnSync(process.execPath, ['-e', "process.kill(process.pid, 'SIGSEGV')"]);
  assert.strictEqual(r.signal, null);
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_test_runner_failures(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "a.test.mjs").write_text(NODE_TESTS)
    (tmp_path / "test" / "b.test.mjs").write_text(
        "import missing from 'no-such-package-xyz';\nimport { test } from 'node:test';\n"
        "test('never', () => {});\n"
    )
    subprocess.run(
        [
            "node",
            "--test",
            "--test-reporter=junit",
            "--test-reporter-destination=junit.xml",
            "test/",
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    got = failures(tmp_path / "junit.xml")
    cats = {name: categorize(tc) for name, tc in got.items()}
    assert cats["sum"] == "assertion"
    assert cats["check rejects 3"] == "exception"
    assert cats["db refused"] == "infrastructure"
    assert cats["dns"] == "infrastructure"
    assert cats["slow"] == "timeout"
    assert cats["child segfault"] == "crash"
    broken = next(n for n in got if n.endswith("b.test.mjs"))
    assert cats[broken] == "collection"
    fp = {name: fingerprint(tc) for name, tc in got.items()}
    assert fp["check rejects 3"] == fp["check rejects 4"] == fp["another caller"]
    assert (
        len(
            {
                fp[n]
                for n in (
                    "check rejects 3",
                    "sum",
                    "db refused",
                    "dns",
                    "slow",
                    "child segfault",
                    broken,
                )
            }
        )
        == 7
    )
    assert signature(got["check rejects 4"]).kind == "RangeError"


JEST_SRC = """
function discount(total, pct) {
  if (pct > 100) throw new RangeError(`bad pct ${pct}`);
  return total - total * pct / 100;
}
module.exports = { discount };
"""

JEST_TESTS = """
const { discount } = require('../src/price');
const net = require('net');
const dns = require('dns').promises;
const { spawnSync } = require('child_process');
test.each([150, 200])('rejects %i', (p) => { discount(10, p); });
test('other caller', () => { discount(5, 101); });
test('sum', () => { expect(discount(10, 10)).toBe(8); });
test('refused', async () => {
  const srv = net.createServer(); await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port; await new Promise(r => srv.close(r));
  await new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1'); s.on('connect', resolve); s.on('error', reject);
  });
});
test('dns', async () => { await dns.lookup('no-such-host.invalid'); });
test('slow', async () => { await new Promise(r => setTimeout(r, 3000)); }, 200);
test('segv child', () => {
  const r = spawnSync(process.execPath, ['-e', "process.kill(process.pid, 'SIGSEGV')"]);
  expect(r.signal).toBeNull();
});
"""


@pytest.mark.slow
def test_jest_failures(tmp_path: Path, jest_bin: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "src" / "price.js").write_text(JEST_SRC)
    (tmp_path / "test" / "a.test.js").write_text(JEST_TESTS)
    (tmp_path / "test" / "b.test.js").write_text(
        "require('no-such-package-xyz');\ntest('x', () => {});\n"
    )
    (tmp_path / "package.json").write_text(
        '{"name": "j", "private": true, "jest": {"testEnvironment": "node"}}'
    )
    os.symlink(jest_bin.parent.parent, tmp_path / "node_modules")
    env = {
        **os.environ,
        "JEST_JUNIT_OUTPUT_FILE": "junit.xml",
        "JEST_JUNIT_REPORT_TEST_SUITE_ERRORS": "true",
    }
    subprocess.run(
        [str(jest_bin), "--ci", "--reporters=jest-junit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    got = {tc.name.strip(): tc for tc in failures(tmp_path / "junit.xml").values()}
    cats = {name: categorize(tc) for name, tc in got.items()}
    assert cats["sum"] == "assertion"
    assert cats["rejects 150"] == "exception"
    assert cats["refused"] == "infrastructure"
    assert cats["dns"] == "infrastructure"
    assert cats["slow"] == "timeout"
    assert cats["segv child"] == "crash"
    assert cats["test/b.test.js"] == "collection"
    fp = {name: fingerprint(tc) for name, tc in got.items()}
    assert fp["rejects 150"] == fp["rejects 200"] == fp["other caller"]
    assert signature(got["rejects 200"]).where.startswith("src/price.js::discount")
    assert (
        len(
            {
                fp[n]
                for n in (
                    "rejects 150",
                    "sum",
                    "refused",
                    "dns",
                    "slow",
                    "segv child",
                    "test/b.test.js",
                )
            }
        )
        == 7
    )
