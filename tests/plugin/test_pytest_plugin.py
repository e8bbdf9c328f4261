"""testgate's pytest plugin, in real pytest runs: inert without a plan; with one, it runs only
the plan's tests, in its order, and shards that together run every test exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = """
import pytest

def test_a(): pass
def test_b(): pass
def test_c(): pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_p(n): pass
"""
ALL = [
    "test_m.py::test_a",
    "test_m.py::test_b",
    "test_m.py::test_c",
    "test_m.py::test_p[1]",
    "test_m.py::test_p[2]",
    "test_m.py::test_p[3]",
]


def _pytest(root: Path, plan: dict[str, object] | None) -> tuple[int, list[str], str]:
    """Run pytest in *root* with *plan*; the node ids it ran, in order, and its output."""
    env = {k: v for k, v in os.environ.items() if k != "TESTGATE_PYTEST_PLAN"}
    if plan is not None:
        (root / "plan.json").write_text(json.dumps(plan))
        env["TESTGATE_PYTEST_PLAN"] = str(root / "plan.json")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ran = [line.split(" ", 1)[0] for line in proc.stdout.splitlines() if " PASSED" in line]
    return proc.returncode, ran, proc.stdout + proc.stderr


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "test_m.py").write_text(TESTS)
    return tmp_path


def test_without_a_plan_the_plugin_changes_nothing(root: Path) -> None:
    code, ran, out = _pytest(root, None)
    assert (code, ran) == (0, ALL), out
    assert "testgate:" not in out


def test_a_plan_deselects_and_orders_tests(root: Path) -> None:
    plan = {
        "schema": "testgate.pytest-plan/1",
        "deselect": ["test_m.py::test_a", "test_m.py::test_p[2]"],
        "order": ["test_m.py::test_p[3]", "test_m.py::test_c"],
    }
    code, ran, out = _pytest(root, plan)
    assert code == 0, out
    # ordered ones first, then the rest in collection order; a test the plan does not name
    # (test_b, test_p[1]: new to testgate) still runs
    assert ran == [
        "test_m.py::test_p[3]",
        "test_m.py::test_c",
        "test_m.py::test_b",
        "test_m.py::test_p[1]",
    ]
    assert "testgate: running 4 of 6 tests" in out
    assert "2 deselected" in out


def test_shards_together_run_every_test_exactly_once(root: Path) -> None:
    assigned = {"test_m.py::test_a": 1, "test_m.py::test_b": 2, "test_m.py::test_c": 3}
    ran_all: list[str] = []
    for index in (1, 2, 3):
        plan = {
            "schema": "testgate.pytest-plan/1",
            "shard": {
                "index": index,
                "total": 3,
                "tests": [t for t, s in assigned.items() if s == index],
                "others": [t for t, s in assigned.items() if s != index],
            },
        }
        code, ran, out = _pytest(root, plan)
        assert code in (0, 5), out  # 5: a shard that got no test
        for t, s in assigned.items():
            assert (t in ran) == (s == index)
        ran_all += ran
    assert sorted(ran_all) == sorted(ALL)


def test_an_unreadable_plan_is_a_usage_error(root: Path) -> None:
    (root / "plan.json").write_text("{")
    env = {**os.environ, "TESTGATE_PYTEST_PLAN": str(root / "plan.json")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4  # pytest's usage error
    assert "cannot read the test plan" in proc.stderr
