"""An optional feature whose extra is not installed says in one line which extra to install and
exits 2 (never a traceback). The library is made unimportable in the child process the way a
missing distribution is (``sys.modules[name] = None``: find_spec and import both fail)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHILD = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from testgate.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _without(modules: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, modules, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line(proc: subprocess.CompletedProcess[str], extra: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"pip install 'testgate[{extra}]'" in lines[0]
    assert lines[0].endswith("(see docs/errors.md#missing-extra)")
    return lines[0]


def test_scan_secrets_without_the_secrets_extra(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    line = _one_line(_without("detect_secrets", "scan", "secrets", ".", cwd=tmp_path), "secrets")
    assert "testgate scan secrets needs detect_secrets" in line


def test_a_postgresql_store_without_the_postgres_extra(tmp_path: Path) -> None:
    proc = _without(
        "psycopg", "history", "list", "--db", "postgresql://u@127.0.0.1:1/x", cwd=tmp_path
    )
    assert "a PostgreSQL history store needs psycopg" in _one_line(proc, "postgres")


def test_generate_without_the_generate_extra(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "shop"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "price.py").write_text("def total(a: int, b: int) -> int:\n    return a + b\n")
    proc = _without("hypothesis,black", "generate", "--src", "src", cwd=tmp_path)
    assert "testgate generate needs hypothesis, black" in _one_line(proc, "generate")
    assert not (tmp_path / "tests" / "generated").exists()  # nothing half-written


def test_the_core_runs_with_every_optional_library_missing(tmp_path: Path) -> None:
    """Reading a report, recording it in a SQLite history and rendering it need no extra."""
    report = Path(__file__).resolve().parents[1] / "fixtures/junit/ant__error-at-suite-level.xml"
    missing = "detect_secrets,psycopg,hypothesis,black,distributed"
    for args in (
        ["ingest", str(report), "-o", "summary.json"],
        ["history", "record", "--db", "history.db", "summary.json"],
        ["report", "--summary", "summary.json", "--db", "history.db", "-o", "report.html"],
    ):
        proc = _without(missing, *args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert "</html>" in (tmp_path / "report.html").read_text()
