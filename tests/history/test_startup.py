"""The commands that only read the history start light: no configuration schema (pydantic),
no migration machinery (alembic) on a store at the current schema, no plugin discovery; and
``history list``, ``flaky`` and ``slow`` read a SQLite store with sqlite3 alone (no SQLAlchemy).

Each command runs in a fresh interpreter, on a real SQLite store with one recorded run, and
reports which of those modules it loaded; the output is checked as a user would see it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.history import open_store
from testgate.model import Run, TestCase, VcsInfo

_PROBE = """
import json, sys
from testgate.cli import main
code = main(sys.argv[1:])
heavy = ("pydantic", "alembic", "pluggy", "testgate.config.loader",
         "testgate.history.alerts", "sqlalchemy")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}),
      file=sys.stderr)
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "history.db"
    run = Run(
        id="run-startup-1",
        started_at="2026-01-01T00:00:00+00:00",
        vcs=VcsInfo(commit="a" * 40, branch="main"),
        tests=[TestCase("unit", "pkg", f"test_{i}", "passed", 0.01 * i) for i in range(5)],
    )
    with open_store(f"sqlite:///{path}") as s:
        s.record(run)
    return path


@pytest.mark.parametrize(
    "argv",
    [["history", "list"], ["flaky"], ["slow"], ["history", "show", "latest"]],
    ids=lambda a: " ".join(a),
)
def test_history_commands_start_without_schema_migrations_or_plugins(
    argv: list[str], store: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv, "--db", str(store)],
        cwd=tmp_path,  # no testgate.yaml here or above
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    # history show reads a run's parts through the SQLAlchemy store
    assert report["loaded"] == (["sqlalchemy"] if argv[1:2] == ["show"] else [])
    if argv[0] == "history":
        assert "run-startup-1" in proc.stdout


def test_a_configuration_is_still_read(store: Path, tmp_path: Path) -> None:
    """With a testgate.yaml, the command still reads it (and so loads the schema)."""
    (tmp_path / "testgate.yaml").write_text("project: demo\nhistory:\n  window: 7\n")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "flaky", "--db", str(store), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    assert "testgate.config.loader" in report["loaded"]
    assert json.loads(proc.stdout)["window"] == 7
