"""Back-testing a gate: the configuration's gates over the runs the history remembers.

Before a team turns a gate on, or tightens a threshold, it can ask what that gate would have
said about the last N runs: which runs it would have blocked and why, and how many of those
were followed by a fix on the same branch (a later run that passes). :func:`backtest` is pure;
:func:`testgate.workflow.backtest` reads the runs from the store.

A run read back from the history keeps its tests, steps, metrics, per-file coverage totals and
performance reports, not its line-level coverage, findings or each test's step: new-code
coverage is not replayed (it needs the diff of the day), and a scope by stage or step matches
no stored test (a scope by test id does).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from testgate.gates.evaluate import evaluate
from testgate.gates.spec import GatesSpec
from testgate.model import Run
from testgate.verdict import Verdict

__all__ = ["Backtest", "BacktestRow", "StoredRun", "backtest"]


@dataclass(slots=True)
class StoredRun:
    """A run from the history and what the store keeps beside it."""

    run: Run
    #: (covered, coverable) lines by file
    file_totals: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the verdict recorded when the run was gated then ("pass", "fail", "pass (bypassed)")
    recorded: str | None = None


@dataclass(slots=True)
class BacktestRow:
    """What the gates would have said about one stored run."""

    run: str
    started_at: str | None
    branch: str | None
    commit: str | None
    passed: bool
    #: the blocking criteria that failed: ``gate / criterion: actual, expected ...``
    deciding: list[str]
    #: warnings and failures of non-blocking gates, which do not decide
    other: list[str]
    recorded: str | None
    #: for a blocked run: the next run of its branch the gates pass, if any
    fixed_by: str | None = None
    baseline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "started_at": self.started_at,
            "branch": self.branch,
            "commit": self.commit,
            "verdict": "pass" if self.passed else "fail",
            "deciding": self.deciding,
            "other": self.other,
            "recorded_verdict": self.recorded,
            "fixed_by": self.fixed_by,
            "baseline": self.baseline,
        }


@dataclass(slots=True)
class Backtest:
    """The gates over the stored runs, oldest first, and what they add up to."""

    rows: list[BacktestRow]
    branch: str | None
    env: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> list[BacktestRow]:
        return [r for r in self.rows if not r.passed]

    @property
    def fixed(self) -> list[BacktestRow]:
        return [r for r in self.blocked if r.fixed_by]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "testgate.backtest/1",
            "branch": self.branch,
            "env": self.env,
            "runs": len(self.rows),
            "blocked": len(self.blocked),
            "blocked_then_fixed": len(self.fixed),
            "rows": [r.to_dict() for r in self.rows],
            "notes": self.notes,
        }


def _line(r: Any) -> str:
    hint = f" ({r.hint})" if r.hint else ""
    return f"{r.gate} / {r.criterion}: {r.actual_text}, expected {r.expected}{hint}"


def _day(run: Run) -> _dt.date | None:
    if not run.started_at:
        return None
    try:
        return _dt.datetime.fromisoformat(run.started_at).date()
    except ValueError:
        return None


def backtest(
    spec: GatesSpec,
    runs: Sequence[StoredRun],
    *,
    branch: str | None = None,
    env: str | None = None,
    strict: bool = False,
) -> Backtest:
    """The verdict *spec*'s gates would have given each of *runs* (oldest first).

    Each run's baseline (for trends and baseline comparisons) is the run before it on its
    branch; quarantine entries count as of the run's own day.
    """
    rows: list[BacktestRow] = []
    last_of_branch: dict[str | None, Run] = {}
    for stored in runs:
        run = stored.run
        baseline = last_of_branch.get(run.vcs.branch)
        verdict: Verdict = evaluate(
            spec,
            run,
            baseline=baseline,
            env=env,
            strict=strict,
            today=_day(run),
            file_totals=stored.file_totals or None,
        )
        failing = [r for r in verdict.results if r.status == "fail"]
        deciding = [_line(r) for r in failing if r.blocking or strict]
        other = [_line(r) for r in verdict.results if r.status == "warn" or r in failing]
        other = [line for line in other if line not in deciding]
        rows.append(
            BacktestRow(
                run=run.id,
                started_at=run.started_at,
                branch=run.vcs.branch,
                commit=run.vcs.commit,
                passed=verdict.passed,
                deciding=deciding,
                other=other,
                recorded=stored.recorded,
                baseline=baseline.id if baseline is not None else None,
            )
        )
        last_of_branch[run.vcs.branch] = run
    # a blocked run is fixed by the next run of its branch that the gates pass
    for i, row in enumerate(rows):
        if row.passed:
            continue
        row.fixed_by = next(
            (r.run for r in rows[i + 1 :] if r.branch == row.branch and r.passed), None
        )
    return Backtest(rows, branch, env)
