"""Which branch the history's analyses look at by default.

Flaky/broken analysis, insights and trends default to *one* branch, the repository's default
branch, so that a pull-request branch that fixes a broken test does not hide it on main (and a
PR's experiments do not make main look flaky). Mixing every branch is asked for on purpose.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testgate.history.reads import ReadQueries

__all__ = ["BranchChoice", "default_branch", "git_default_branch"]

#: names a repository's default branch usually has, most likely first
_USUAL = ("main", "master", "trunk", "develop")


class BranchChoice:
    """The branch an analysis uses (None: every branch) and why, for the output."""

    def __init__(self, branch: str | None, why: str) -> None:
        self.branch = branch
        self.why = why

    def describe(self) -> str:
        return f"on {self.branch} ({self.why})" if self.branch else f"on every branch ({self.why})"


def git_default_branch(root: Path) -> str | None:
    """The default branch git knows for *root*: ``origin/HEAD``, else ``init.defaultBranch``."""
    for args in (
        ["git", "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
        ["git", "config", "--get", "init.defaultBranch"],
    ):
        try:
            proc = subprocess.run(
                args, cwd=root, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        name = proc.stdout.strip()
        if proc.returncode == 0 and name:
            return name.split("/", 1)[1] if name.startswith("origin/") else name
    return None


def default_branch(
    store: ReadQueries,
    *,
    branch: str | None = None,
    all_branches: bool = False,
    configured: str | None = None,
    root: Path | None = None,
) -> BranchChoice:
    """The branch to analyse: ``--branch``, every branch with ``--all-branches``, else
    ``history.default_branch``, else git's default branch when the store has runs on it, else
    the usual names (main, master, ...), else the branch with the most recorded runs."""
    if branch:
        return BranchChoice(branch, "--branch")
    if all_branches:
        return BranchChoice(None, "--all-branches")
    if configured:
        return BranchChoice(configured, "history.default_branch")
    counts = store.branch_counts()
    if not counts:
        return BranchChoice(None, "no run has a branch")
    if len(counts) == 1:
        only = next(iter(counts))
        return BranchChoice(only, "the only branch recorded")
    from_git = git_default_branch(root) if root is not None else None
    if from_git and from_git in counts:
        return BranchChoice(from_git, "the default branch; --all-branches mixes every branch")
    for name in _USUAL:
        if name in counts:
            return BranchChoice(name, "the default branch; --all-branches mixes every branch")
    busiest = max(sorted(counts), key=counts.__getitem__)
    return BranchChoice(busiest, "the branch with the most runs; choose with --branch")
