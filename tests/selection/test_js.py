"""Selection for node --test (test-file level) and jest (--findRelatedTests), on real runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testgate.model import read_summary
from tests.selection.conftest import Repo, make_repo, run_cli

_HEAD = "const test = require('node:test');\nconst assert = require('node:assert');\n"

NODE_FILES = {
    "web/src/sum.js": "exports.sum = (a, b) => a + b;\n",
    "web/src/mul.js": "exports.mul = (a, b) => a * b;\n",
    "web/test/sum.test.js": _HEAD
    + "const { sum } = require('../src/sum');\n"
    + "test('sum', () => assert.strictEqual(sum(1, 2), 3));\n",
    "web/test/mul.test.js": _HEAD
    + "const { mul } = require('../src/mul');\n"
    + "test('mul', () => assert.strictEqual(mul(2, 3), 6));\n",
    "README.md": "# web\n",
    ".gitignore": ".testgate/\nreports/\nnode_modules\n",
}

NODE_CONFIG = """pipeline:
  stages:
    - name: js
      steps:
        - name: node
          cwd: web
          run: >-
            node --test --test-reporter=junit
            --test-reporter-destination=../reports/node.xml test/
          reports: [reports/node.xml]
"""


@pytest.fixture
def node_repo(tmp_path: Path) -> Repo:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    repo = Repo(make_repo(tmp_path / "web", NODE_CONFIG, NODE_FILES))
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_node_runs_only_the_changed_test_files(
    node_repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    node_repo.edit("web/test/mul.test.js", "mul(2, 3), 6", "mul(3, 3), 9")
    result = node_repo.select(capsys, "--base", "main")
    (step,) = result["steps"]
    assert step["run"] is True
    assert step["whole"] is False
    assert step["command"].endswith(
        "--test-reporter-destination=../reports/node.xml test/mul.test.js"
    )
    code, out = node_repo.testgate(
        "run", "--affected", "--base", "main", "--no-record", capsys=capsys
    )
    assert code == 0, out
    run = read_summary(node_repo.root / ".testgate/latest/summary.json")
    assert [t.name for t in run.tests] == ["mul"]


def test_node_runs_whole_when_a_source_file_changed(
    node_repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    node_repo.edit("web/src/sum.js", "a + b", "b + a")
    (step,) = node_repo.select(capsys, "--base", "main")["steps"]
    assert step["run"] is True
    assert step["whole"] is True
    assert step["why"] == "changed: web/src/sum.js"


def test_a_change_outside_the_step_directory_skips_it(
    node_repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    node_repo.write("other/tool.sh", "echo hi\n")
    (step,) = node_repo.select(capsys, "--base", "main")["steps"]
    assert step["run"] is False
    assert step["why"] == "no changed file in its directory (web)"


JEST_CONFIG = """pipeline:
  stages:
    - name: js
      steps:
        - name: jest
          cwd: web
          run: {jest} --ci --reporters=default --reporters=jest-junit
          env: {{JEST_JUNIT_OUTPUT_DIR: ../reports, JEST_JUNIT_OUTPUT_NAME: jest.xml}}
          reports: [reports/jest.xml]
"""


@pytest.fixture(scope="session")
def jest_bin() -> Path:
    """jest and jest-junit installed once from npm into a cache folder (skips without npm)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "testgate-tests-jest"
    jest = cache / "node_modules" / ".bin" / "jest"
    if not jest.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed")
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "package.json").write_text('{"name": "jest-cache", "private": true}\n')
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "jest@29", "jest-junit@16"],
            cwd=cache,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            pytest.skip(f"npm could not install jest: {proc.stderr[-500:]}")
    return jest


@pytest.mark.slow
def test_jest_gets_find_related_tests(
    jest_bin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {k: v for k, v in NODE_FILES.items() if not k.startswith("web/test/")}
    files["web/src/sum.test.js"] = (
        "const { sum } = require('./sum');\ntest('sum', () => expect(sum(1, 2)).toBe(3));\n"
    )
    files["web/src/mul.test.js"] = (
        "const { mul } = require('./mul');\ntest('mul', () => expect(mul(2, 3)).toBe(6));\n"
    )
    files["web/package.json"] = '{"name": "web", "private": true}\n'
    repo = Repo(make_repo(tmp_path / "jest", JEST_CONFIG.format(jest=jest_bin), files))
    (repo.root / "web" / "node_modules").symlink_to(jest_bin.parent.parent)
    proc = run_cli(repo.root, "run", "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(read_summary(repo.root / ".testgate/latest/summary.json").tests) == 2
    repo.git("checkout", "-q", "-b", "feature")
    repo.edit("web/src/mul.js", "a * b", "b * a")
    (step,) = repo.select(capsys, "--base", "main")["steps"]
    assert step["whole"] is False
    assert step["command"].endswith("--findRelatedTests src/mul.js")
    code, out = repo.testgate("run", "--affected", "--base", "main", "--no-record", capsys=capsys)
    assert code == 0, out
    run = read_summary(repo.root / ".testgate/latest/summary.json")
    # jest-junit's default title template is "{classname} {title}": a file-level test's
    # classname is empty
    assert [t.name.strip() for t in run.tests] == ["mul"]
