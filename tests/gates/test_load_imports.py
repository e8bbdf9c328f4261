"""Commands pay only for what they use: without ``alerts:``, checking the gates does not import
the history store (SQLAlchemy costs 0.3 s of every ``testgate gate``), and a run without
failures is not triaged (importing triage costs 0.05 s of every ``testgate ingest``)."""

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


INGEST = """
import sys
from testgate import workflow
run = workflow.ingest([sys.argv[1]]).run
failed = [t for t in run.tests if t.status == 'failed']
print(len(run.tests), [bool(t.category and t.fingerprint) for t in failed],
      'testgate.triage' in sys.modules)
"""
CORPUS = Path(__file__).parents[1] / "corpus"


def _ingest(report: Path) -> list[str]:
    got = subprocess.run(
        [sys.executable, "-c", INGEST, str(report)], capture_output=True, text=True, check=False
    )
    assert got.returncode == 0, got.stderr
    return got.stdout.split(maxsplit=1)


def test_a_run_without_failures_is_not_triaged() -> None:
    tests, rest = _ingest(CORPUS / "coverage" / "coveragepy__cobertura.xml")
    assert (tests, rest.strip()) == ("0", "[] False")


def test_failures_are_still_triaged(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuite name="s" tests="2"><testcase classname="c" name="ok"/>'
        '<testcase classname="c" name="bad"><failure message="assert 1 == 2">'
        "AssertionError</failure></testcase></testsuite>"
    )
    tests, rest = _ingest(report)
    assert (tests, rest.strip()) == ("2", "[True] True")
