"""Bytecode for the code under test, as an installed package has it.

pip compiles a wheel's modules when it installs them, so the peers (and testgate installed from
its wheel) start from ``.pyc`` files. An editable checkout run with ``PYTHONDONTWRITEBYTECODE=1``
(CI machines and this project's own often set it) has none: every testgate process would
compile its modules from source, about 0.1 s that the peers never pay. Every benchmark that
times testgate processes calls :func:`compile_sources` first (and :func:`baseline_cmd` compiles
the earlier revision it extracts), so both sides start as installed code does.
"""

from __future__ import annotations

import compileall
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

__all__ = ["baseline_cmd", "compile_sources", "compile_tree"]


def compile_tree(root: Path) -> None:
    """Write the ``.pyc`` of every module under *root* (whatever PYTHONDONTWRITEBYTECODE says)."""
    if not compileall.compile_dir(str(root), quiet=1, workers=1):
        raise SystemExit(f"{root}: a module does not compile")


def compile_sources() -> None:
    """Bytecode for testgate's sources in this checkout."""
    compile_tree(SRC)


def baseline_cmd(rev: str, work: Path) -> list[str]:
    """A command running testgate's CLI from the sources at git revision *rev* (same interpreter
    and packages), compiled like the current sources."""
    src = work / "baseline"
    src.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    compile_tree(src / "src")
    code = (
        f"import sys; sys.path.insert(0, {str(src / 'src')!r}); "
        "from testgate.cli import main; sys.exit(main())"
    )
    return [sys.executable, "-c", code]
