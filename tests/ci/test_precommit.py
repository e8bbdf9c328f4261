"""The pre-commit hook testgate offers (.pre-commit-hooks.yaml, docs/ci.md#pre-commit).

The manifest is checked by pre-commit's own validator; then real pre-commit runs the hook as the
manifest declares it (id, entry, files, pass_filenames) on a repository whose testgate.yaml is
valid, then broken. The hook runs as a local `language: system` hook with this environment's
testgate: `language: python` would pip-install testgate into a new environment first (a minute;
checked by hand with `pre-commit try-repo`, see docs/releasing.md), which tests pip, not the hook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN))

pytestmark = pytest.mark.skipif(
    PRE_COMMIT is None, reason="pre-commit is not installed (the dev extra has it)"
)

VALID = """\
pipeline:
  stages:
    - name: unit
      steps:
        - name: unit
          run: "true"
"""


def _git(repo: Path, *args: str) -> None:
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "-C", str(repo), *args], check=True, capture_output=True)


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    return subprocess.run(
        [PRE_COMMIT, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_manifest_is_valid_for_pre_commit() -> None:
    proc = _pre_commit(REPO, "validate-manifest", str(MANIFEST))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_hook_passes_a_valid_config_and_fails_a_broken_one(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load(MANIFEST.read_text())
    assert hook["id"] == "testgate-validate"
    assert hook["entry"] == "testgate validate"
    assert hook["language"] == "python"
    local = {**hook, "language": "system"}  # this environment's testgate (module docstring)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})
    )
    (repo / "testgate.yaml").write_text(VALID)
    (repo / "README.md").write_text("hello\n")
    _git(repo, "add", "-A")

    proc = _pre_commit(repo, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "testgate validate" in proc.stdout
    assert "Passed" in proc.stdout

    # a change elsewhere does not run the hook (files: only testgate.yaml)
    proc = _pre_commit(repo, "run", "--files", "README.md")
    assert proc.returncode == 0
    assert "(no files to check)Skipped" in proc.stdout

    (repo / "testgate.yaml").write_text(VALID.replace("stages:", "stagez:"))
    proc = _pre_commit(repo, "run", "--files", "testgate.yaml")
    assert proc.returncode == 1, proc.stdout
    assert "Failed" in proc.stdout
    assert "testgate.yaml" in proc.stdout  # testgate's message, naming the file
    assert "stagez" in proc.stdout
