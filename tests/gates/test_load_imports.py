"""Loading a configuration pays only for what it holds: without ``alerts:``, checking the gates
does not import the history store (SQLAlchemy costs 0.3 s of every ``testgate gate``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from testgate import workflow
loaded = workflow.load(sys.argv[1])
print(sorted(loaded.gates.gates), 'sqlalchemy' in sys.modules)
"""


def _probe(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "testgate.yaml"
    path.write_text(config)
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=False
    )


def test_gates_without_alerts_do_not_import_the_history_store(tmp_path: Path) -> None:
    got = _probe(tmp_path, "gates:\n  cov:\n    criteria:\n      new_code: {threshold: '>= 90%'}\n")
    assert got.returncode == 0, got.stderr
    assert got.stdout.split() == ["['cov']", "False"]


def test_alerts_are_still_checked(tmp_path: Path) -> None:
    got = _probe(
        tmp_path,
        "gates:\n  cov:\n    criteria:\n      new_code: {threshold: '>= 90%'}\n"
        "alerts:\n  - {name: drop, condition: 'coverge < 80'}\n",
    )
    assert got.returncode != 0
    assert "alerts.0.condition: unknown metric 'coverge'" in got.stderr
