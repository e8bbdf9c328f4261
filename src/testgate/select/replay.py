"""The recall audit (``testgate select --replay``): would selection have caught every test
that newly failed in the recorded history?

For each pair of consecutive recorded full runs at different commits (``A`` then ``B``), the
selection for the change ``A -> B`` is made again, in a temporary git worktree checked out at
``B``, from ``A``'s test map, without the history's help (no "failed last time"): what the
change alone selects. A test that failed in ``B`` but not in ``A`` is *caught* when the
selection would have run it (its step ran whole, it was chosen, or it is not in the map, so it
is new and always runs), else it is a *miss*, with the selection's reason. Recall is caught /
newly failed; the fraction selected is the share of ``B``'s tests the selection would have run
(tests of a step that is not narrowed count as run when the step runs).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.select import git
from testgate.select.engine import Selection
from testgate.select.testmap import nodeid_to_test_id

if TYPE_CHECKING:
    from testgate.history.rows import RunInfo
    from testgate.history.store import HistoryStore

__all__ = ["Audit", "Pair", "replay"]


@dataclass(slots=True)
class Pair:
    """One replayed change."""

    before: str
    after: str
    run: str
    full: bool
    reason: str
    newly_failed: list[str] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)
    selected: int = 0
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "run": self.run,
            "full": self.full,
            "reason": self.reason,
            "newly_failed": self.newly_failed,
            "missed": [{"test": t, "why": w} for t, w in self.missed],
            "selected": self.selected,
            "total": self.total,
        }


@dataclass(slots=True)
class Audit:
    pairs: list[Pair] = field(default_factory=list)
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def newly_failed(self) -> int:
        return sum(len(p.newly_failed) for p in self.pairs)

    @property
    def missed(self) -> int:
        return sum(len(p.missed) for p in self.pairs)

    @property
    def recall(self) -> float | None:
        n = self.newly_failed
        return None if n == 0 else (n - self.missed) / n

    @property
    def fraction(self) -> float | None:
        total = sum(p.total for p in self.pairs)
        return None if total == 0 else sum(p.selected for p in self.pairs) / total

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "pairs": [p.to_dict() for p in self.pairs],
            "newly_failed": self.newly_failed,
            "missed": self.missed,
            "recall": self.recall,
            "fraction_selected": self.fraction,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        out = [f"{len(self.pairs)} change(s) replayed from {self.runs} recorded run(s)"]
        for p in self.pairs:
            frac = f"{p.selected}/{p.total}" if p.total else "-"
            state = "full run" if p.full else "selected"
            out.append(
                f"  {p.before[:10]} -> {p.after[:10]}: {state} {frac} tests; "
                f"{len(p.newly_failed)} newly failed, {len(p.missed)} missed"
            )
            out.extend(f"    MISSED {t}: {w}" for t, w in p.missed)
        recall = self.recall
        share = self.fraction
        out.append(
            "recall: "
            + ("n/a (no test newly failed)" if recall is None else f"{recall:.1%}")
            + f" ({self.newly_failed - self.missed} of {self.newly_failed} newly failed tests "
            "selected); fraction selected: " + ("n/a" if share is None else f"{share:.1%}")
        )
        out.extend(f"note: {n}" for n in self.notes)
        return out


def _is_full(run: RunInfo) -> bool:
    return run.metrics.get("selection.full", 1.0) != 0.0


def replay(
    store: HistoryStore,
    *,
    root: Path,
    last: int,
    decide: Callable[[Path, str], Selection],
) -> Audit:
    """Replay the last *last* recorded runs (see the module docstring). *decide(root, base)*
    makes the selection in a worktree whose root is *root*, against *base*."""
    audit = Audit()
    try:
        top = git.repo_top(root)
    except git.GitError as exc:
        audit.notes.append(f"cannot replay: {exc}")
        return audit
    runs = [r for r in reversed(store.runs(limit=last)) if r.commit and _is_full(r)]
    audit.runs = len(runs)
    pairs: list[tuple[RunInfo, RunInfo]] = []
    for prev, cur in itertools.pairwise(runs):
        if prev.commit != cur.commit:
            pairs.append((prev, cur))
    if not pairs:
        audit.notes.append("no two recorded full runs at different commits to replay")
        return audit
    sub = root.resolve().relative_to(top.resolve())
    with git.worktree(top) as wt:
        for prev, cur in pairs:
            assert prev.commit is not None
            assert cur.commit is not None
            try:
                git._git(wt, "checkout", "--detach", "--quiet", "--force", cur.commit)
            except git.GitError as exc:
                audit.notes.append(f"{cur.commit[:10]}: cannot check out ({exc})")
                continue
            selection = decide(wt / sub, prev.commit)
            audit.pairs.append(_score(store, prev, cur, selection))
    return audit


def _score(store: HistoryStore, prev: RunInfo, cur: RunInfo, sel: Selection) -> Pair:
    assert prev.commit is not None
    assert cur.commit is not None
    pair = Pair(prev.commit, cur.commit, cur.id, sel.full, sel.reason)
    before = {r.test_id: r.status for r in store.run_results(prev)}
    after = store.run_results(cur)
    chosen = {t.test_id for t in sel.tests}
    narrowed: dict[str, str] = {}  # test id -> why not run, for tests of narrowed/skipped steps
    for step in sel.steps:
        if not step.run:
            for n in step.deselect:
                narrowed[nodeid_to_test_id(n)] = f"step {step.key} skipped: {step.why}"
        elif not step.whole:
            for n in step.deselect:
                narrowed[nodeid_to_test_id(n)] = "deselected: it ran none of the changed code"
    for r in after:
        pair.total += 1
        # a test no map knows (a new one, or one of a step without a map) counts as run
        runs_it = sel.full or r.test_id in chosen or r.test_id not in narrowed
        if runs_it:
            pair.selected += 1
        if r.status in ("failed", "error") and before.get(r.test_id) not in ("failed", "error"):
            pair.newly_failed.append(r.test_id)
            if not runs_it:
                pair.missed.append((r.test_id, narrowed.get(r.test_id, "not selected")))
    return pair
