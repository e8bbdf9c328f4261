"""What the CI recipe tests share: a fixture repository, the runner environment of each CI
system (bash as GitHub runs it, GitLab's script shell, Jenkins' ``sh``), a small table-driven
expression evaluator for the ``${{ }}`` expressions the recipes use, and the check that skips
a test, naming the command, while a command the recipe needs does not exist yet."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

APP = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
TEST_ADD = textwrap.dedent(
    """\
    from app import add


    def test_add():
        assert add(1, 2) == 3


    def test_add_wrong():
        assert add(2, 2) == 5
    """
)
TEST_SUB = "from app import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n"
LINTED = "import os\nimport sys\n"

CONFIG = textwrap.dedent(
    """\
    project: shop
    pipeline:
      stages:
        - name: lint
          steps:
            - name: ruff
              run: >-
                python -m ruff check --no-cache --output-format json --exit-zero src
                > reports/ruff.json
              reports: [reports/ruff.json]
        - name: unit
          steps:
            - name: pytest
              run: >-
                python -m pytest -q -p no:cacheprovider -o junit_family=xunit1
                --junitxml=reports/junit.xml tests
              env: {PYTHONPATH: src}
              reports: [reports/junit.xml]
    gates:
      test_gate:
        criteria:
          tests.failed: "== 0"
      lint_gate:
        criteria:
          lint.errors: "== 0"
        enforcement:
          blocking: false
    """
)


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout


def make_repo(path: Path) -> Path:
    """A repository on a feature branch one commit ahead of ``origin/main``: pytest with one
    failing test, ruff findings, a blocking gate on failed tests and a non-blocking lint gate."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    path.mkdir(parents=True)
    files = {
        "src/app.py": APP,
        "src/lib.py": LINTED,
        "tests/test_add.py": TEST_ADD,
        "tests/test_sub.py": TEST_SUB,
        "testgate.yaml": CONFIG,
        ".gitignore": ".testgate/\nreports/\n.venv\n",
    }
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    git(path, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(path, "checkout", "-q", "-b", "feature")
    (path / "src/app.py").write_text(APP.replace("return a + b", "return b + a"))
    git(path, "commit", "-qam", "change add")
    return path


def runner_env(**extra: str) -> dict[str, str]:
    """The environment a CI job sees: this test environment's python and testgate first on
    PATH (the recipes' own install step is what the test environment already did)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "TESTGATE_", "CI_", "GITLAB_", "RUNNER_"))
    }
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env["TESTGATE_HEARTBEAT"] = "0"
    env.update(extra)
    return env


def run_shell(
    script: str, cwd: Path, env: Mapping[str, str], *, shell: str = "github"
) -> subprocess.CompletedProcess[str]:
    """*script* as the CI system runs it: GitHub's ``bash --noprofile --norc -eo pipefail``,
    GitLab's script lines in one shell with ``set -eo pipefail``, Jenkins' ``sh -xe``."""
    if shell == "github":
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    elif shell == "gitlab":
        argv = ["bash", "-c", "set -eo pipefail\n" + script]
    else:
        argv = ["sh", "-xe", "-c", script]
    return subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=300, check=False
    )


def _help(*args: str) -> str | None:
    proc = subprocess.run(
        [sys.executable, "-m", "testgate", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


#: what a recipe may need that another issue is building, and how to tell it exists
_FEATURES: dict[str, tuple[Callable[[], bool], str]] = {
    "select": (lambda: _help("select") is not None, "'testgate select' (issue 13)"),
    "merge": (lambda: _help("merge") is not None, "'testgate merge' (issue 14)"),
    "shard": (lambda: "--shard" in (_help("run") or ""), "'testgate run --shard' (issue 14)"),
    "affected": (
        lambda: "--affected" in (_help("run") or ""),
        "'testgate run --affected' (issue 13)",
    ),
}


def features_in(script: str) -> list[str]:
    """The features a script uses."""
    found = []
    if re.search(r"\btestgate select\b", script):
        found.append("select")
    if re.search(r"\btestgate merge\b", script):
        found.append("merge")
    if re.search(r"\btestgate run\b[^\n]*--shard", script):
        found.append("shard")
    if re.search(r"\btestgate run\b[^\n]*--affected", script):
        found.append("affected")
    return found


def require(*features: str) -> None:
    """Skip, naming the command, while a feature the recipe needs does not exist yet."""
    missing = [_FEATURES[f][1] for f in features if not _FEATURES[f][0]()]
    if missing:
        pytest.skip(
            f"the recipe runs {', '.join(missing)}; not built yet ('--help' fails), so this "
            "test runs once it lands"
        )


_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def expand(text: str, ctx: Mapping[str, str]) -> str:
    """Replace each ``${{ X }}`` by ``ctx[X]``; an expression the test does not know fails it
    (so a recipe cannot grow an expression this emulation silently gets wrong)."""

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in ctx:
            raise AssertionError(f"the test has no value for the expression ${{{{ {key} }}}}")
        return ctx[key]

    return _EXPR.sub(one, text)


def read_outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out
