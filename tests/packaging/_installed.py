"""Where the testgate under test comes from: `make test` runs the suite against the wheel it
built (TESTGATE_TEST_INSTALLED=1, TESTGATE_TEST_WHEEL=the wheel), `make test-dev` against src/."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "testgate"
INSTALLED = os.environ.get("TESTGATE_TEST_INSTALLED") == "1"
WHY_NOT_INSTALLED = (
    "the development loop (make test-dev) tests src/ through the editable install; "
    "`make test` sets TESTGATE_TEST_INSTALLED=1 and runs this against the built wheel"
)


#: what [tool.setuptools.exclude-package-data] in pyproject.toml leaves out of the wheel
JUNK_SUFFIXES = (".pyc", ".pyo", "~", ".swp", ".orig", ".rej")


def shipped_files(root: Path) -> set[str]:
    """Every file of the package under *root* (a testgate/ folder) that the wheel must hold
    (bytecode and editor leftovers left out), as paths relative to *root*'s parent
    (``testgate/server/templates/base.html.j2``)."""
    return {
        p.relative_to(root.parent).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.name != ".DS_Store"
        and not p.name.endswith(JUNK_SUFFIXES)
    }
