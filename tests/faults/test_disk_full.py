"""A full disk under ``.testgate/`` (issue 12.6): exit 2 with one line naming the path, no
partial file, and the run still recorded in a history that lives elsewhere."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._harness import N_REPORTS, write_project


@pytest.fixture
def full_state_dir(tmp_path: Path) -> Iterator[Path]:
    """A project whose ``.testgate/`` is a 256 KiB tmpfs (root and mount(8) needed)."""
    root = tmp_path / "repo"
    state = root / ".testgate"
    state.mkdir(parents=True)
    try:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(state)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a small tmpfs to fill ({exc})")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill: {proc.stderr.strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", str(state)], check=False, timeout=30)


def test_full_disk_is_exit_2_naming_the_path_and_the_run_is_recorded(
    full_state_dir: Path, tmp_path: Path
) -> None:
    root = full_state_dir
    db = tmp_path / "elsewhere" / "history.db"
    db.parent.mkdir()
    # 3 reports x 2000 tests: a summary of about 600 KB, more than the 256 KiB there is
    write_project(root, 2000, f"sqlite:///{db}", "disk")
    proc = subprocess.run(
        [sys.executable, "-m", "testgate", "run"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("testgate: error:")]
    assert len(errors) == 1, proc.stderr
    assert "summary.json: cannot write the run's summary (No space left on device)" in errors[0]
    assert str(root / ".testgate" / "runs") in errors[0]
    assert "Traceback" not in proc.stderr
    state = root / ".testgate"
    assert not list(state.rglob("*.tmp"))
    assert not list(state.rglob("summary.json"))  # complete or absent: absent
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select tests_total from runs where project = 'disk'").fetchall()
    assert rows == [(N_REPORTS * 2000,)]
