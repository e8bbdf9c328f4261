"""``testgate run --affected``: real pytest runs narrowed by testgate's pytest plugin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.model import read_summary
from testgate.pipeline.runner import PYTEST_PLAN_ENV as PLAN_ENV
from testgate.pipeline.runner import write_pytest_plan
from tests.selection.conftest import Repo


def test_run_affected_runs_only_the_selected_tests(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    code, out = repo.testgate("run", "--affected", capsys=capsys)
    assert code == 1, out  # the change breaks test_discount, and the selection runs it
    assert "selection: affected only" in out
    run = read_summary(repo.root / ".testgate/latest/summary.json")
    assert {(t.id, t.status) for t in run.tests} == {("tests.test_prices::test_discount", "failed")}
    assert run.metrics["selection.full"] == 0.0
    assert run.metrics["selection.tests_deselected"] == 4.0
    log = (repo.root / ".testgate/latest").parent / "runs"
    logs = list(log.glob("*/logs/unit__pytest.log"))
    text = max(logs, key=lambda p: p.stat().st_mtime).read_text()
    assert "1 failed, 4 deselected" in text
    assert "testgate: running 1 of 5 tests" in text


def test_run_affected_skips_a_step_nothing_concerns(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/cart.py", '"""Sum of the prices."""', '"""Total."""')
    code, out = repo.testgate("run", "--affected", capsys=capsys)
    assert code == 0, out
    run = read_summary(repo.root / ".testgate/latest/summary.json")
    (step,) = run.steps
    assert step.status == "skipped"
    assert step.reason == "not affected: no test ran the changed code"
    assert run.tests == []


def test_run_affected_orders_riskiest_first_and_new_tests_run(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("tests/test_new.py", "def test_new():\n    assert True\n")
    repo.edit("src/shop/prices.py", "return PRICES[item]", "return PRICES[item] + 0")
    code, out = repo.testgate("run", "--affected", capsys=capsys)
    assert code == 0, out
    run = read_summary(repo.root / ".testgate/latest/summary.json")
    assert {t.id for t in run.tests} == {
        "tests.test_new::test_new",
        "tests.test_cart::test_total",
        "tests.test_cart::test_tax",
    }


def test_the_plan_keeps_unnamed_and_unskippable_tests(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "import pytest\n\n"
        "def test_one():\n    pass\n\n"
        "def test_two():\n    pass\n\n"
        "@pytest.mark.unskippable\ndef test_three():\n    pass\n\n"
        "def test_four():\n    pass\n"
    )
    plan = write_pytest_plan(
        {
            "deselect": ["test_a.py::test_one", "test_a.py::test_three"],
            "order": ["test_a.py::test_four", "test_a.py::test_two"],
        },
        tmp_path,
        "logs/plan.log",
    )
    assert json.loads(plan.read_text())["schema"] == "testgate.pytest-plan/1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_a.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, PLAN_ENV: str(plan)},
    )
    assert proc.returncode == 0, proc.stdout
    ran = [line.split(" ")[0] for line in proc.stdout.splitlines() if " PASSED" in line]
    # test_one deselected; test_three unskippable; ordered ones first, then collection order
    assert ran == ["test_a.py::test_four", "test_a.py::test_two", "test_a.py::test_three"]
    assert "1 deselected" in proc.stdout


def test_affected_and_shards_split_only_the_selected_tests(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return PRICES[item]", "return PRICES[item] + 0")
    ran: list[str] = []
    for shard in ("1/2", "2/2"):
        code, out = repo.testgate(
            "run", "--affected", "--shard", shard, "--no-record", capsys=capsys
        )
        assert code == 0, out
        run = read_summary(repo.root / ".testgate/latest/summary.json")
        ran.extend(t.id for t in run.tests)
    # the two selected tests, each in exactly one shard; nothing else ran
    assert sorted(ran) == ["tests.test_cart::test_tax", "tests.test_cart::test_total"]
