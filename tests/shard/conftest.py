"""A real pytest project, under git, for the sharding tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.testing import Project

PY = sys.executable


def write_suite(project: Project, files: int = 3, per_file: int = 6) -> None:
    """*files* test files with *per_file* plain tests, a class and a parametrized test each
    (durations vary from 0 to a few tens of milliseconds)."""
    for f in range(files):
        lines = ["import time", "import pytest", ""]
        for i in range(per_file):
            lines += [f"def test_{i}():", f"    time.sleep({(f * per_file + i) % 5} / 200)", ""]
        lines += [
            "class TestK:",
            "    @pytest.mark.parametrize('x', ['a/b', 'c::d'])",
            "    def test_p(self, x):",
            "        assert x",
            "",
        ]
        project.write(f"tests/test_m{f}.py", "\n".join(lines))


def git_commit(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", ".")
    git("add", "-A")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")


def summary_tests(path: Path) -> list[str]:
    return sorted(t["id"] for t in json.loads(path.read_text())["tests"])


@pytest.fixture
def py_project(project: Project) -> Project:
    write_suite(project)
    project.write(
        "testgate.yaml",
        f"""
        project: sharded
        pipeline:
          stages:
            - name: test
              steps:
                - name: unit
                  run: >-
                    {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests
                  reports: [reports/junit.xml]
                - name: lint
                  run: echo lint > lint.txt
        """,
    )
    git_commit(project.root)
    return project
