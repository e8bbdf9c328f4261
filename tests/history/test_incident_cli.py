"""``testgate history incident``: a production incident recorded against a commit, the escape
rate and mean time to detection that follow, and the errors for bad input (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..server._history import recorded_history


def tg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args], cwd=cwd, capture_output=True, text=True
    )


def test_incident_is_recorded_and_the_rates_follow(tmp_path: Path) -> None:
    recorded_history(tmp_path).close()  # 8 runs on main; run-00, -03, -06 and -07 failed
    db = f"sqlite:///{tmp_path / 'history.db'}"
    commit = f"{4:040x}"
    p = tg("history", "incident", "--db", db, "--commit", commit, "--id", "BUG-1",
           "--component", "cart", "--at", "2026-01-06T22:00:00Z", cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        f"recorded incident BUG-1 (cart) against commit {commit[:12]} (first run run-04)",
        "defect escape rate 20.0%: 1 escaped, 4 stopped by tests or gates in the last 8 runs; "
        "mean time to detection 36.0 h",
    ]
    # the same id again: still one incident
    p = tg("history", "incident", "--db", db, "--commit", commit, "--id", "BUG-1", "--json",
           "--at", "2026-01-06T22:00:00Z", cwd=tmp_path)  # fmt: skip
    doc = json.loads(p.stdout)
    assert [i["id"] for i in doc["incidents"]] == ["BUG-1"]
    assert doc["escape_rate"] == 0.2


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    recorded_history(tmp_path, n=2).close()
    db = f"sqlite:///{tmp_path / 'history.db'}"
    for args, words in (
        (["--commit", "nothex!", "--id", "B-1"], "--commit 'nothex!': expected a commit SHA"),
        (["--commit", "f" * 40, "--id", "B-1"], "no recorded run of commit"),
        (["--commit", "0" * 12, "--id", "B-1"], "is ambiguous: it starts more than one commit"),
        (["--commit", f"{1:040x}", "--id", "a b"], "--id 'a b': expected an incident id"),
        (["--commit", f"{1:040x}", "--id", "B", "--at", "soon"], "--at: 'soon' is not a time"),
    ):
        p = tg("history", "incident", "--db", db, *args, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stderr)
        assert words in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
