"""New-code coverage, like diff-cover: which lines did this change add or modify?

What is compared, exactly: ``git diff --no-color --no-ext-diff -U0 <merge-base>`` run in the
repository, where ``<merge-base>`` is ``git merge-base HEAD <base>``. Diffing the merge-base
against the *working tree* gives the lines added or modified by the branch's commits, by staged
changes and by unstaged changes, in the line numbers of the files as they are on disk (which is
what a coverage report made from the working tree refers to). diff-cover runs three diffs
(``base...HEAD``, ``--cached``, and unstaged) and merges them; for the usual case both give the
same lines. Untracked files are not included (diff-cover's default, too).

The base is ``--base REF``; by default the upstream of the current branch (``@{upstream}``) when
one is set, else ``main``, else ``master``. This module does the I/O (runs git); the counting is
the pure :func:`testgate.gates.facts.new_code_coverage`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from testgate.errors import GateError
from testgate.gates.facts import ChangedLines

__all__ = ["changed_lines", "default_base", "parse_diff"]


def _git(root: Path, *args: str, check: bool = True) -> str:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(root), *args],
            capture_output=True,
            # a changed file git takes for text may hold any bytes; line numbers survive
            encoding="utf-8",
            errors="replace",
            check=False,
            env={**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise GateError("new-code coverage needs git, and git is not installed") from None
    if check and proc.returncode != 0:
        raise GateError(
            f"git {' '.join(args)} failed in {root}: {proc.stderr.strip() or proc.returncode}"
        )
    return proc.stdout if proc.returncode == 0 else ""


def default_base(root: Path) -> str:
    """``@{upstream}`` when the branch has one, else ``main``, else ``master``."""
    upstream = _git(
        root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False
    ).strip()
    if upstream:
        return upstream
    for name in ("main", "master"):
        if _git(root, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False):
            return name
    raise GateError(
        "new-code coverage: no base to compare with (no upstream branch, no 'main' or "
        "'master'); pass --base REF"
    )


_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(path: str) -> str:
    """A path as git prints it: C-quoted (``"b/na\\303\\257ve.py"``) when it has odd characters."""
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    out = bytearray()
    body = path[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 4 <= len(body):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_C_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out.extend(ch.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="replace")


#: a hunk header of a zero-context diff: ``@@ -old[,count] +new[,count] @@``
_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_diff(text: str) -> dict[str, frozenset[int]]:
    """Added or modified line numbers (in the new file) per path, from git's ``-U0`` diff.

    Without context lines, a hunk's new range is exactly its added lines, so the hunk headers
    say everything; the bodies are only stepped over, counted against the headers (a line
    added as ``++x`` shows as ``+++x``, which must not be read as a file header). A diff with
    context lines, or a body shorter or longer than its header says, is refused.
    """
    out: dict[str, frozenset[int]] = {}
    lines = text.split("\n")
    path: str | None = None
    added: list[int] = []

    def done() -> None:
        if path is not None and added:
            out[path] = frozenset(added)

    i, end = 0, len(lines)
    while i < end:
        line = lines[i]
        i += 1
        if line.startswith("@@"):
            m = _HUNK.match(line)
            if m is None:
                raise GateError(f"cannot read the git diff: bad hunk header {line[:80]!r}")
            old = 1 if m[1] is None else int(m[1])
            start = int(m[2])
            new = 1 if m[3] is None else int(m[3])
            added.extend(range(start, start + new))
            while old or new:  # the body: old '-' lines and new '+' lines, in any order
                body = lines[i][:1] if i < end else ""
                i += 1
                if body == "-" and old:
                    old -= 1
                elif body == "+" and new:
                    new -= 1
                elif body != "\\":  # "\ No newline at end of file"
                    raise GateError(
                        f"cannot read the git diff: the hunk {line[:60]!r} does not match its "
                        "header (expected a diff without context lines)"
                    )
        elif line.startswith("diff --git "):
            done()
            path, added = None, []
        elif line.startswith("+++ "):
            target = line[4:].split("\t", 1)[0]
            if target == "/dev/null":  # a deleted file
                path = None
            else:
                target = _unquote(target)
                path = target[2:] if target.startswith("b/") else target
    done()
    return out


def changed_lines(root: Path, base: str | None = None) -> ChangedLines:
    """The lines added or changed in the repository holding *root*, against *base*.

    Paths in the result are relative to *root* (the coverage root: the configuration's folder),
    so that they meet coverage paths; changed files outside *root* are left out.
    """
    root = Path(root).resolve()
    top_text = _git(root, "rev-parse", "--show-toplevel", check=False).strip()
    if not top_text:
        raise GateError(f"new-code coverage: {root} is not in a git repository")
    top = Path(top_text).resolve()
    ref = base or default_base(root)
    merge_base = _git(root, "merge-base", "HEAD", ref, check=False).strip()
    if not merge_base:
        raise GateError(
            f"new-code coverage: no merge-base of HEAD and {ref!r}; is {ref!r} a branch or "
            "commit here (fetch it, or use a full clone: fetch-depth: 0)?"
        )
    text = _git(root, "diff", "--no-color", "--no-ext-diff", "-U0", merge_base, "--")
    files: dict[str, frozenset[int]] = {}
    for path, lines in parse_diff(text).items():
        full = top / path
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            continue
        files[rel] = lines
    return ChangedLines(
        base_ref=ref,
        base_commit=merge_base,
        files=files,
        description=(
            f"lines added or changed since {merge_base[:12]} (merge-base of HEAD and {ref}), "
            "including staged and unstaged changes"
        ),
    )
