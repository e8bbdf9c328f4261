"""The baseline a run is compared with: the last recorded run of its base branch.

Trends and ``baseline_comparison`` criteria compare a run with an earlier one. By default that is
the last recorded run of the *base branch* — the pull request's target (the run's ``base_ref``),
else the default branch (``history.default_branch``, git's default, main or master) — preferring
the run recorded at the **merge-base** of ``HEAD`` and that branch, which is what the change was
made from. The run itself and outage runs are never a baseline.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.history.outage import is_outage

if TYPE_CHECKING:
    from testgate.history.store import HistoryStore
    from testgate.model import Run

__all__ = ["Baseline", "find_baseline", "merge_base"]

#: how many of the base branch's runs are looked at for the merge-base commit
_LOOK_BACK = 500


@dataclass(slots=True)
class Baseline:
    """A baseline run (or None) and why it is that one, for the verdict's notes."""

    run: Run | None
    why: str


def merge_base(root: Path, ref: str) -> str | None:
    """``git merge-base HEAD ref`` in *root*, or None (not a repository, unknown ref, no git)."""
    for candidate in (ref, f"origin/{ref}"):
        try:
            proc = subprocess.run(
                ["git", "-C", str(root), "merge-base", "HEAD", candidate],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
                env={**os.environ, "LC_ALL": "C"},
            )
        except (OSError, subprocess.SubprocessError):
            return None
        sha = proc.stdout.strip()
        if proc.returncode == 0 and sha:
            return sha
    return None


def find_baseline(
    store: HistoryStore,
    *,
    branch: str | None,
    exclude: str | None,
    commit: str | None = None,
) -> Baseline:
    """The run of *branch* recorded at *commit* (the merge-base), else its last recorded run;
    never the run *exclude* nor an outage."""
    if branch is None:
        return Baseline(None, "no base branch is known (no run has a branch)")
    candidates = [
        info
        for info in store.runs(branch, limit=_LOOK_BACK)
        if info.id != exclude and not is_outage(info.tests_total, info.tests_failed, info.meta)
    ]
    if not candidates:
        return Baseline(None, f"no run of {branch} is recorded yet")
    chosen = None
    how = f"the last recorded run of {branch}"
    if commit:
        chosen = next((i for i in candidates if i.commit and (commit.startswith(i.commit))), None)
        if chosen is not None:
            how = f"the run of {branch} at the merge-base {commit[:10]}"
        else:
            how += f" (none at the merge-base {commit[:10]})"
    chosen = chosen or candidates[0]
    run = store.last_run(chosen.id)
    return Baseline(run, f"run {chosen.id}, {how}")
