"""The documentation builds with mkdocs --strict: every page, every link between pages, and the
Python API page generated from the docstrings of testgate.api and testgate.workflow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_docs_build_strictly_with_the_api_page(tmp_path: Path) -> None:
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed in this environment (the dev extra has it)")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    # generated from the docstrings, not written by hand
    assert "testgate.api.run" in api
    assert "testgate.workflow.exit_code" in api
    assert "The one exit code of a command" in api
