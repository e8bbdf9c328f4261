from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.adapters.registry import read_report
from testgate.model import TestCase

#: where the jest tests keep jest and jest-junit between runs (installed from npm once)
JEST_CACHE = Path(
    os.environ.get("TESTGATE_TEST_JEST_DIR", Path.home() / ".cache" / "testgate-tests" / "jest")
)


def failures(report: Path) -> dict[str, TestCase]:
    """The failed and errored tests of a real report, by name."""
    data, _ = read_report(report)
    return {t.name: t for t in data.tests if t.status in ("failed", "error")}


def run_pytest(root: Path, *args: str, timeout: float = 120) -> Path:
    """Run pytest for real in *root*, writing JUnit; return the report."""
    report = root / "junit.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            *args,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert report.is_file(), "pytest wrote no report"
    return report


@pytest.fixture(scope="session")
def jest_bin() -> Path:
    """jest and jest-junit from npm (installed once into a cache folder; skips without npm)."""
    binary = JEST_CACHE / "node_modules" / ".bin" / "jest"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed; the jest tests need jest and jest-junit from npm")
        JEST_CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "jest@29",
                "jest-junit@16",
            ],
            cwd=JEST_CACHE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0 or not binary.exists():
            pytest.skip(f"could not install jest from npm: {proc.stderr.strip()[-300:]}")
    return binary
