"""The git facts selection needs: the merge-base, what changed since a commit (working tree
included), the branch and the default branch. Every failure is a :class:`SelectionError`
that says what git said; callers decide to fall back to a full run."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import TestgateError

__all__ = [
    "Change",
    "GitError",
    "changes_since",
    "current_branch",
    "default_branch",
    "first_parents",
    "head_commit",
    "merge_base",
    "repo_top",
    "tracked_and_untracked",
    "verify_commit",
    "worktree",
]


class GitError(TestgateError):
    """git could not answer (not a repository, an unknown ref, no git)."""


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=60,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)} took more than 60 s") from None
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise GitError(f"git {' '.join(args)}: {msg}")
    return proc.stdout


def repo_top(cwd: Path) -> Path:
    """The top level of the repository *cwd* is in."""
    return Path(_git(cwd, "rev-parse", "--show-toplevel").strip())


def head_commit(cwd: Path) -> str:
    return _git(cwd, "rev-parse", "HEAD").strip()


def merge_base(cwd: Path, ref: str) -> str:
    """``git merge-base HEAD REF``; an unknown ref is a :class:`GitError` naming it."""
    try:
        _git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown base ref {ref!r} (no such branch, tag or commit)") from None
    return _git(cwd, "merge-base", "HEAD", ref).strip()


def verify_commit(cwd: Path, ref: str) -> str:
    """The commit *ref* names; an unknown ref is a :class:`GitError` naming it."""
    try:
        return _git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError:
        raise GitError(f"unknown ref {ref!r} (no such branch, tag or commit)") from None


def first_parents(cwd: Path, commit: str, limit: int = 50) -> list[str]:
    """*commit* and its ancestors, newest first (at most *limit*)."""
    out = _git(cwd, "rev-list", f"--max-count={limit}", commit)
    return [line for line in out.splitlines() if line]


def current_branch(cwd: Path) -> str | None:
    try:
        name = _git(cwd, "rev-parse", "--abbrev-ref", "HEAD").strip()
    except GitError:
        return None
    return None if name == "HEAD" else name


def default_branch(cwd: Path) -> str | None:
    """origin/HEAD's branch, else ``main`` or ``master`` when one exists."""
    try:
        ref = _git(cwd, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
        return ref.rsplit("/", 1)[-1]
    except GitError:
        pass
    for name in ("main", "master"):
        try:
            _git(cwd, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}")
            return name
        except GitError:
            continue
    return None


@dataclass(frozen=True, slots=True)
class Change:
    """One changed path, relative to the repository top level."""

    path: str
    #: A added, M modified, D deleted, R renamed (``old`` is set), T type change
    status: str
    old: str | None = None


def changes_since(cwd: Path, commit: str, head: str | None = None) -> list[Change]:
    """What changed between *commit* and *head* (default: the working tree, staged and
    unstaged edits and untracked files included), renames detected."""
    args = ["diff", "--name-status", "-z", "-M", "--no-ext-diff", commit]
    if head is not None:
        args.append(head)
    out = _git(cwd, *args).split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(out) - 1:
        status = out[i]
        if not status:
            i += 1
            continue
        kind = status[0]
        if kind in ("R", "C"):
            old, new = out[i + 1], out[i + 2]
            changes.append(Change(new, "R" if kind == "R" else "A", old))
            i += 3
        else:
            changes.append(Change(out[i + 1], kind))
            i += 2
    if head is None:
        for path in _git(cwd, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
            if path:
                changes.append(Change(path, "A"))
    return changes


def tracked_and_untracked(cwd: Path) -> list[str]:
    """Files git tracks under *cwd*, plus untracked ones it does not ignore (relative to
    *cwd*), sorted."""
    tracked = _git(cwd, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({p for p in tracked.split("\0") if p})


@contextlib.contextmanager
def worktree(top: Path, ref: str = "HEAD") -> Iterator[Path]:
    """A temporary detached worktree of the repository at *top*, checked out at *ref*,
    removed afterwards (the files of another commit, without touching the user's)."""
    tmp = Path(tempfile.mkdtemp(prefix="testgate-select-"))
    wt = tmp / "wt"
    try:
        _git(top, "worktree", "add", "--detach", "--quiet", str(wt), ref)
        yield wt
    finally:
        with contextlib.suppress(GitError):
            _git(top, "worktree", "remove", "--force", str(wt))
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(GitError):
            _git(top, "worktree", "prune")
