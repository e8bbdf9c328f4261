"""npm packages that the producer tests run for real (jest, jest-junit, eslint, ...).

They are installed once per machine with npm into a cache folder outside the repository
(``$TESTGATE_TEST_NODE_MODULES``, else ``~/.cache/testgate-tests/npm``); a test whose tools
cannot be installed (no node, no registry) skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: the versions the tests were written against (npm resolves within the range)
PACKAGES = {
    "jest": "^30",
    "jest-junit": "^17",
    "eslint": "^10",
    "eslint-plugin-sonarjs": "^4",
}


def node_modules() -> Path:
    """A node_modules folder holding :data:`PACKAGES`, installing them on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    base = Path(
        os.environ.get("TESTGATE_TEST_NODE_MODULES")
        or Path.home() / ".cache" / "testgate-tests" / "npm"
    )
    want = json.dumps(PACKAGES, sort_keys=True)
    stamp = base / ".installed"
    modules = base / "node_modules"
    if stamp.exists() and stamp.read_text() == want and modules.is_dir():
        return modules
    base.mkdir(parents=True, exist_ok=True)
    (base / "package.json").write_text(
        json.dumps({"name": "testgate-test-tools", "private": True, "dependencies": PACKAGES})
    )
    try:
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=base,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install of the test tools timed out (no registry?)")
    if proc.returncode != 0:
        pytest.skip(f"npm install of the test tools failed: {proc.stderr.strip()[-300:]}")
    stamp.write_text(want)
    return modules


def link_modules(project: Path) -> Path:
    """*project*/node_modules pointing at the installed tools; returns the tools' .bin."""
    modules = node_modules()
    (project / "node_modules").symlink_to(modules, target_is_directory=True)
    return modules / ".bin"
