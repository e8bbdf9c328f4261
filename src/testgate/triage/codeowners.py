"""Owners from a ``CODEOWNERS`` file, with GitHub's syntax and precedence.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS``.
Each line is a pattern and its owners (``@user``, ``@org/team``, an e-mail); ``#`` starts a
comment; patterns follow ``.gitignore`` rules, except that ``!`` negation and ``[]`` ranges do
not work; and **the last matching line wins**, so a later line with no owners takes the
ownership away again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CODEOWNERS_LOCATIONS", "CodeOwners", "find_codeowners", "parse_codeowners"]

#: where GitHub looks, in its order
CODEOWNERS_LOCATIONS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_MAX_BYTES = 3 * 1024 * 1024  # GitHub ignores a CODEOWNERS file over 3 MB


def _translate(pattern: str) -> re.Pattern[str] | None:
    """A regex for one CODEOWNERS pattern over repository-relative POSIX paths."""
    if pattern.startswith("!") or "[" in pattern:
        return None  # not supported by GitHub: the line never matches
    pattern = pattern.replace("\\#", "#").replace("\\ ", " ")
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    if not pattern:
        return re.compile(r"^.*$") if anchored else None
    if "/" in pattern:
        anchored = True  # a slash at the start or in the middle anchors it at the root
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    head = "^" if anchored else "^(?:.*/)?"
    # a pattern that names a directory owns everything under it; "dir/" names only directories
    tail = "/.*$" if dir_only else "(?:/.*)?$"
    return re.compile(head + body + tail)


def _clean(path: str) -> str:
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p.lstrip("/")


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    regex: re.Pattern[str]
    owners: tuple[str, ...]
    line: int


@dataclass(slots=True)
class CodeOwners:
    """A parsed ``CODEOWNERS`` file."""

    rules: list[_Rule]
    path: str = "CODEOWNERS"

    def owners(self, path: str) -> list[str]:
        """The owners of a repository-relative *path* (the last matching line wins)."""
        p = _clean(path)
        for rule in reversed(self.rules):
            if rule.regex.match(p):
                return list(rule.owners)
        return []

    def rule_for(self, path: str) -> tuple[str, int] | None:
        """The pattern and line number that decide *path*'s owners, if any."""
        p = _clean(path)
        for rule in reversed(self.rules):
            if rule.regex.match(p):
                return rule.pattern, rule.line
        return None


def parse_codeowners(text: str, *, path: str = "CODEOWNERS") -> CodeOwners:
    """Parse the text of a ``CODEOWNERS`` file (lines GitHub would ignore are ignored)."""
    rules: list[_Rule] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # "\#" escapes a hash in a pattern; an unescaped " #" starts a comment
        line = re.split(r"(?<!\\)\s#", line, maxsplit=1)[0].strip()
        parts = re.split(r"(?<!\\)\s+", line)
        pattern, owners = parts[0], tuple(o for o in parts[1:] if o)
        regex = _translate(pattern)
        if regex is not None:
            rules.append(_Rule(pattern, regex, owners, n))
    return CodeOwners(rules, path)


def find_codeowners(root: Path) -> CodeOwners | None:
    """The repository's ``CODEOWNERS`` (the first of GitHub's locations), or None."""
    for rel in CODEOWNERS_LOCATIONS:
        p = root / rel
        try:
            if p.is_file() and p.stat().st_size <= _MAX_BYTES:
                return parse_codeowners(p.read_text(encoding="utf-8", errors="replace"), path=rel)
        except OSError:
            continue
    return None
