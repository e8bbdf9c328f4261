"""The ``project`` fixture for testgate's own tests and for plugin authors.

It writes a throwaway repository under a temporary directory, runs ``testgate`` in-process
(or as a real subprocess where signals or a TTY matter) and returns an :class:`Outcome`
with the exit code and output, plus glob matching in the style of pytest's ``fnmatch_lines``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Outcome", "Project"]


@dataclass
class Outcome:
    """What one testgate invocation did."""

    code: int
    out: str
    err: str

    def assert_success(self) -> Outcome:
        assert self.code == 0, f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"
        return self

    def assert_code(self, code: int) -> Outcome:
        assert self.code == code, (
            f"expected exit {code}, got {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"
        )
        return self

    def fnmatch_lines(self, patterns: Sequence[str], *, stream: str = "out") -> None:
        """Each glob pattern matches a line, in order (other lines may come between)."""
        lines = (self.out if stream == "out" else self.err).splitlines()
        i = 0
        for pat in patterns:
            while i < len(lines) and not fnmatch.fnmatch(lines[i], pat):
                i += 1
            if i == len(lines):
                text = "\n".join(lines)
                raise AssertionError(f"no line matches {pat!r} (in order) in:\n{text}")
            i += 1


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class Project:
    """A throwaway repository for testgate to run in."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> Path:
        """Write *text* (dedented) to *name* under the project, creating folders."""
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return p

    def copy(self, src: Path, name: str | None = None) -> Path:
        dest = self.root / (name or Path(src).name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(Path(src).read_bytes())
        return dest

    def run(self, *args: str) -> Outcome:
        """Run ``testgate ARGS`` in-process, in the project directory."""
        from testgate.cli import main

        out, err = io.StringIO(), io.StringIO()
        with _chdir(self.root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return Outcome(code, out.getvalue(), err.getvalue())

    def run_subprocess(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> Outcome:
        """Run ``python -m testgate ARGS`` as a real process (for signals, TTYs, startup)."""
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "testgate", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)
