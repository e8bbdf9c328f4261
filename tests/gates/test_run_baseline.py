"""Trends and baselines inside ``testgate run`` (issue 10, 2.3): by default the last recorded
run of the base branch, at the merge-base when one was recorded; ``--baseline REF|FILE|none``
on ``run`` and ``gate``. A real git repository and real pytest runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testgate.testing import Project

CI_VARS = (
    "TESTGATE_BRANCH",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "GITHUB_SHA",
    "GITHUB_BASE_REF",
    "CI_COMMIT_BRANCH",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_SHA",
    "BRANCH_NAME",
    "GIT_BRANCH",
    "GIT_COMMIT",
    "CHANGE_TARGET",
    "TESTGATE_DB",
)

PYTEST = json.dumps(
    f"{sys.executable} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests"
)

CONFIG = f"""\
pipeline:
  stages:
    - name: test
      steps:
        - name: unit
          run: {PYTEST}
          reports: [reports/junit.xml]
gates:
  tests_gate:
    criteria:
      count: {{metric: tests.total, trend: not_decreasing}}
    baseline_comparison:
      threshold: "0"
      metrics: [tests.passed]
"""


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def _tests(project: Project, n: int) -> None:
    body = "".join(f"def test_{i}():\n    assert True\n\n\n" for i in range(n))
    project.write("tests/test_many.py", body)


def _verdict(project: Project) -> dict[str, Any]:
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert isinstance(summary["verdict"], dict)
    return summary["verdict"]


@pytest.fixture
def repo(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    for var in CI_VARS:
        monkeypatch.delenv(var, raising=False)
    project.write("testgate.yaml", CONFIG)
    project.write(".gitignore", ".testgate/\nreports/\n")
    _tests(project, 4)
    _git(project.root, "init", "-q", "-b", "main")
    _git(project.root, "add", "-A")
    _git(project.root, "commit", "-qm", "four tests")
    return project


def _first_run_id(project: Project) -> str:
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    run_id = summary["run"]["id"]
    assert isinstance(run_id, str)
    return run_id


def test_the_first_run_has_no_baseline_and_says_why(repo: Project) -> None:
    repo.run("run").assert_success()
    verdict = _verdict(repo)
    assert [c["status"] for c in verdict["criteria"]] == ["not_measured", "not_measured"]
    assert "no baseline: the history store has no run yet" in verdict["notes"]


def test_a_branch_is_compared_with_main_at_the_merge_base(repo: Project) -> None:
    repo.run("run").assert_success()
    main_run = _first_run_id(repo)
    merge_base = _git(repo.root, "rev-parse", "HEAD")
    # main moves on after the branch point: the merge-base run stays the baseline
    _git(repo.root, "checkout", "-qb", "feature")
    _git(repo.root, "checkout", "-q", "main")
    _tests(repo, 6)
    _git(repo.root, "commit", "-qam", "six tests on main")
    repo.run("run").assert_success()
    _git(repo.root, "checkout", "-q", "feature")
    _tests(repo, 3)
    _git(repo.root, "commit", "-qam", "a test removed")

    out = repo.run("run").assert_code(3)
    verdict = _verdict(repo)
    assert verdict["baseline_run"] == main_run
    assert (
        f"baseline: run {main_run}, the run of main at the merge-base {merge_base[:10]}"
        in verdict["notes"]
    )
    rows = {c["criterion"]: c for c in verdict["criteria"]}
    assert (rows["count.trend"]["actual"], rows["count.trend"]["baseline"]) == (3.0, 4.0)
    assert rows["count.trend"]["status"] == "fail"
    assert rows["baseline_comparison.tests.passed"]["status"] == "fail"
    assert "testgate: GATE FAILED" in out.out.splitlines()[-1]

    # the same baseline from `testgate gate` (never the run itself, which is now recorded)
    out = repo.run("gate", "--format", "json").assert_code(3)
    assert json.loads(out.out)["baseline_run"] == main_run

    # --baseline none: nothing to compare with, said so
    out = repo.run("run", "--baseline", "none").assert_success()
    verdict = _verdict(repo)
    assert [c["status"] for c in verdict["criteria"]] == ["not_measured", "not_measured"]
    assert "no baseline: --baseline none" in verdict["notes"]
    out = repo.run("gate", "--baseline", "none", "--format", "json").assert_success()


def test_baseline_ref_and_file_override_the_default(repo: Project, tmp_path: Path) -> None:
    repo.run("run").assert_success()
    first = repo.root / ".testgate/latest/summary.json"
    saved = tmp_path / "four.json"
    saved.write_text(first.read_text())
    _tests(repo, 5)
    _git(repo.root, "commit", "-qam", "five tests")
    repo.run("run").assert_success()  # on main: compared with the previous run of main
    assert _verdict(repo)["baseline_run"] == json.loads(saved.read_text())["run"]["id"]
    _tests(repo, 4)
    _git(repo.root, "commit", "-qam", "back to four")
    repo.run("run", "--baseline", str(saved)).assert_success()  # 4 -> 4 against the file
    out = repo.run("gate", "--baseline", "main", "--format", "json").assert_code(3)
    # `main` names its last recorded run, the five-test one: 5 -> 4 is a drop
    data = json.loads(out.out)
    assert data["criteria"][0]["baseline"] == 5.0


def test_run_help_lists_the_baseline_option(project: Project) -> None:
    out = project.run("run", "--help").assert_success()
    assert "--baseline REF|FILE|none" in out.out
