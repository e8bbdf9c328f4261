"""The safety rules of selection: what forces a full run, path globs, and which step owns a
changed file.

A glob is matched against a path relative to the configuration file's directory. A pattern
without ``/`` matches a file name at any depth (``conftest.py``, ``*.lock``), like
``.gitignore``; a pattern with ``/`` matches from the configuration's directory, ``*`` within
one directory and ``**`` across directories (``docs/**``, ``src/**/*.sql``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from testgate.config.expr import translate_glob

__all__ = ["FULL_RUN_FILES", "LOCKFILES", "glob_match", "matches_any", "owner_depth"]

#: lockfiles: a change to the dependencies can break anything
LOCKFILES: tuple[str, ...] = (
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "requirements*.txt",
    "constraints*.txt",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.sum",
    "go.mod",
    "Cargo.lock",
    "Gemfile.lock",
)

#: built-in full-run globs (``selection.always_run_on`` adds to them)
FULL_RUN_FILES: tuple[str, ...] = (
    *LOCKFILES,
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "tox.ini",
    "pytest.ini",
    "noxfile.py",
    ".coveragerc",
    "package.json",
    "conftest.py",
    ".github/workflows/**",
    ".github/actions/**",
    ".gitlab-ci.yml",
    ".circleci/**",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".buildkite/**",
    "bitbucket-pipelines.yml",
)


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    body = translate_glob(pat)
    if pat.endswith("/"):
        body += ".*"
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}$")


def glob_match(path: str, pattern: str) -> bool:
    """Whether *path* (relative, with ``/``) matches *pattern* (see the module docstring)."""
    return _compile(pattern).match(path) is not None


def matches_any(path: str, patterns: Iterable[str]) -> str | None:
    """The first of *patterns* that *path* matches, or None."""
    for pattern in patterns:
        if glob_match(path, pattern):
            return pattern
    return None


def owner_depth(path: str, cwds: Iterable[str]) -> int:
    """How deep the most specific step directory holding *path* is (-1: none holds it).

    A changed file belongs to the steps whose directory is the most specific one holding it:
    with a Python step at the root and a JavaScript step in ``web/``, ``web/app.js`` belongs
    to the JavaScript step only.
    """
    best = -1
    p = PurePosixPath(path)
    for cwd in cwds:
        if cwd in ("", "."):
            best = max(best, 0)
        elif PurePosixPath(cwd) in p.parents:
            best = max(best, len(PurePosixPath(cwd).parts))
    return best
