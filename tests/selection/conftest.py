"""A small real project (a package, pytest tests, git) whose test map is recorded once by a
real ``testgate run`` (pytest + pytest-cov with --cov-context=test), then copied per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from testgate.cli import main

FILES: dict[str, str] = {
    "src/shop/__init__.py": "",
    "src/shop/cart.py": '''"""The cart."""
from shop.prices import price_of

TAX = 0.2


def total(items):
    """Sum of the prices."""
    return sum(price_of(i) for i in items)


def with_tax(items):
    return total(items) * (1 + TAX)
''',
    "src/shop/prices.py": """PRICES = {"a": 1, "b": 2}


def price_of(item):
    return PRICES[item]


def discount(p):
    return p * 0.9
""",
    "src/shop/other.py": "def helper():\n    return 42\n",
    "tests/test_cart.py": """from shop.cart import total, with_tax


def test_total():
    assert total(["a", "b"]) == 3


def test_tax():
    assert with_tax(["a"]) == 1.2
""",
    "tests/test_prices.py": """import json
from pathlib import Path

from shop.prices import discount


def test_discount():
    assert discount(10) == 9


def test_data_file():
    data = json.loads((Path(__file__).parent / "data" / "limits.json").read_text())
    assert data["max"] == 10
""",
    "tests/test_other.py": "from shop.other import helper\n\n\ndef test_helper():\n"
    "    assert helper() == 42\n",
    "tests/data/limits.json": '{"max": 10}\n',
    "README.md": "# shop\n",
    ".gitignore": ".testgate/\nreports/\n.coverage\n__pycache__/\n",
}

ALL_TESTS = {
    "tests/test_cart.py::test_total",
    "tests/test_cart.py::test_tax",
    "tests/test_prices.py::test_discount",
    "tests/test_prices.py::test_data_file",
    "tests/test_other.py::test_helper",
}


def config(extra_step: str = "", top: str = "") -> str:
    py = sys.executable
    return f"""{top}pipeline:
  stages:
    - name: unit
      steps:
        - name: pytest
          run: >-
            {py} -m pytest -q -p no:cacheprovider --cov=src --cov-context=test
            --junitxml=reports/junit.xml tests
          env: {{PYTHONPATH: src}}
          reports: [reports/junit.xml, .coverage]
{extra_step}"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def make_repo(root: Path, cfg: str | None = None, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    for rel, text in (files or FILES).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "testgate.yaml").write_text(cfg if cfg is not None else config())
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


@dataclass
class Repo:
    """A copy of the recorded project, on a feature branch."""

    root: Path

    def write(self, rel: str, text: str) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def edit(self, rel: str, old: str, new: str) -> None:
        p = self.root / rel
        text = p.read_text()
        assert old in text, f"{old!r} not in {rel}"
        p.write_text(text.replace(old, new))

    def testgate(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            capsys.readouterr()
            code = main([*args])
        finally:
            os.chdir(cwd)
        out = capsys.readouterr()
        return code, out.out + out.err

    def select(self, capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
        code, out = self.testgate("select", "--format", "json", *args, capsys=capsys)
        assert code == 0, out
        return json.loads(out)  # type: ignore[no-any-return]

    def git(self, *args: str) -> str:
        return git(self.root, *args)


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after one full ``testgate run`` on main: its map is in the history."""
    root = make_repo(tmp_path_factory.mktemp("recorded") / "shop")
    proc = run_cli(root, "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


@pytest.fixture
def repo(recorded: Path, tmp_path: Path) -> Repo:
    """A private copy of the recorded project, on a new branch ``feature``."""
    root = tmp_path / "shop"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("cache"))
    r = Repo(root)
    r.git("checkout", "-q", "-b", "feature")
    return r


def selected(result: dict) -> set[str]:  # type: ignore[type-arg]
    return {t["id"] for t in result["tests"]}
