"""Merge the runs of a sharded pipeline (``testgate run --shard I/N`` on N machines) into one.

The merged run is what one machine running everything would have produced: each test once,
coverage merged line by line (hits add up, branches take the best), findings once, report
metrics (perf, lint, mutation...) kept, and one result per step (the worst of its shards).
It is refused, with a message that names the culprit, when a shard is missing or given twice,
when the shards ran different commits or different splits of the tests, or when one test ran
in two shards (the split did not hold, so the counts would be wrong).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from testgate.errors import InputError
from testgate.model import Coverage, Finding, Run, StepResult

__all__ = ["ShardRun", "merge_runs", "merged_id"]

#: metric families that Run.finalize derives from the merged tests, coverage, findings and
#: steps; a shard's value is only a marker that the family was measured
_DERIVED = (
    "tests.",
    "coverage.",
    "security.",
    "secrets.count",
    "lint.errors",
    "lint.warnings",
    "steps.",
    "pipeline.",
)
#: worst first: the merged status of a step that ran in several shards
_SEVERITY = ("failed", "timed_out", "cancelled", "passed", "skipped")
_SHOW = 5


@dataclass(slots=True)
class ShardRun:
    """One shard's run and where it was read from (for messages)."""

    name: str
    run: Run

    @property
    def label(self) -> str:
        return f"shard {self.run.ci.shard_index}/{self.run.ci.shard_total} ({self.name})"


def _check_shards(shards: Sequence[ShardRun]) -> int:
    if not shards:
        raise InputError("merge: give the summary of every shard (at least one)")
    for s in shards:
        ci = s.run.ci
        if ci.shard_index is None or ci.shard_total is None:
            raise InputError(
                f"{s.name}: not a shard's summary (run.ci.shard_index and shard_total are not "
                "set); make each shard's summary with testgate run --shard I/N",
                slug="merge-shards",
            )
    totals = {s.run.ci.shard_total for s in shards}
    if len(totals) > 1:
        listed = ", ".join(s.label for s in shards)
        raise InputError(
            f"merge: the summaries come from splits into different numbers of shards: {listed}",
            slug="merge-shards",
        )
    total = int(next(iter(totals)) or 0)
    seen: dict[int, ShardRun] = {}
    for s in shards:
        i = int(s.run.ci.shard_index or 0)
        if i in seen:
            raise InputError(
                f"merge: shard {i}/{total} is given twice: {seen[i].name} and {s.name}",
                slug="merge-shards",
            )
        seen[i] = s
    missing = [i for i in range(1, total + 1) if i not in seen]
    if missing:
        names = ", ".join(f"{i}/{total}" for i in missing)
        given = ", ".join(s.label for s in sorted(shards, key=lambda x: x.run.ci.shard_index or 0))
        word = "shard" if len(missing) == 1 else "shards"
        raise InputError(
            f"merge: {word} {names} missing (given: {given}); a merged run of fewer shards "
            "would count too few tests",
            slug="merge-shards",
        )
    plans = {s.run.ci.shard_plan for s in shards}
    if len(plans) > 1:
        listed = ", ".join(f"{s.label}: {s.run.ci.shard_plan or 'none'}" for s in shards)
        raise InputError(
            "merge: the shards split the tests differently (different timings or code), so a "
            f"test may have run twice or not at all: {listed}. Pin the timings with "
            "--shard-durations FILE, or run every shard from one commit",
            slug="merge-shards",
        )
    commits = {s.run.vcs.commit for s in shards}
    if len(commits) > 1:
        listed = ", ".join(f"{s.label}: {s.run.vcs.commit}" for s in shards)
        raise InputError(f"merge: the shards ran different commits: {listed}", slug="merge-shards")
    return total


def _merge_step(results: list[tuple[ShardRun, StepResult]], total: int) -> StepResult:
    ran = [(s, r) for s, r in results if r.status != "skipped"] or results
    _, worst = min(
        ran, key=lambda sr: _SEVERITY.index(sr[1].status) if sr[1].status in _SEVERITY else 0
    )
    if len(ran) == 1:  # ran in one shard only (or skipped in all): its result is the step's
        return StepResult.from_dict(worst.to_dict())
    reasons = [
        f"shard {s.run.ci.shard_index}/{total}: {r.reason}"
        for s, r in ran
        if r.reason and r.status == worst.status
    ]
    starts = [r.started_at for _, r in ran if r.started_at]
    return StepResult(
        stage=worst.stage,
        name=worst.name,
        status=worst.status,
        exit_code=worst.exit_code,
        attempts=max(r.attempts for _, r in ran),
        # the shards ran side by side: the step took as long as its slowest shard
        duration_s=max(r.duration_s for _, r in ran),
        log=None,  # each shard's log stays with that shard's run
        reports=sorted({p for _, r in ran for p in r.reports}),
        reason="; ".join(reasons) or None,
        command=worst.command,
        started_at=min(starts) if starts else None,
    )


def _time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=_dt.timezone.utc)


def _edge(values: list[str | None], *, earliest: bool) -> str | None:
    parsed = [(t, v) for v in values if v is not None and (t := _time(v)) is not None]
    if not parsed:
        return None
    parsed.sort(key=lambda tv: tv[0])
    return parsed[0][1] if earliest else parsed[-1][1]


def merged_id(runs: Sequence[Run]) -> str:
    """The merged run's id: the first shard's time stamp and a digest of every shard's id, so
    that merging the same shards again gives the same run (recording it twice is a no-op)."""
    h = hashlib.sha256("\0".join(sorted(r.id for r in runs)).encode()).hexdigest()[:6]
    stamp = min(r.id for r in runs).split("-", 1)[0]
    return f"{stamp}-m{h}"


def merge_runs(shards: Sequence[ShardRun], *, run_id: str | None = None) -> Run:
    """One run from the runs of every shard; an :class:`InputError` names what does not fit."""
    total = _check_shards(shards)
    ordered = sorted(shards, key=lambda s: s.run.ci.shard_index or 0)
    first = ordered[0].run
    merged = Run(
        id=run_id or merged_id([s.run for s in ordered]),
        project=first.project,
        started_at=_edge([s.run.started_at for s in ordered], earliest=True),
        finished_at=_edge([s.run.finished_at for s in ordered], earliest=False),
        vcs=first.vcs,
        interrupted=any(s.run.interrupted for s in ordered),
    )
    merged.ci.provider = first.ci.provider
    merged.ci.job = first.ci.job
    merged.ci.shard_total = total
    merged.ci.shard_plan = first.ci.shard_plan

    # tests: each (step, id) from one shard only
    owner: dict[tuple[str | None, str], int] = {}
    doubled: list[str] = []
    for s in ordered:
        index = int(s.run.ci.shard_index or 0)
        mine: set[tuple[str | None, str]] = set()
        for t in s.run.tests:
            key = (t.step, t.id)
            prev = owner.get(key)
            if prev is not None and prev != index:
                if len(doubled) < _SHOW:
                    where = f" (step {t.step})" if t.step else ""
                    doubled.append(f"{t.id}{where} in shards {prev} and {index}")
                else:
                    doubled.append("")
                continue
            mine.add(key)
            merged.tests.append(t)
        for key in mine:
            owner.setdefault(key, index)
    if doubled:
        shown = "; ".join(d for d in doubled if d)
        more = len(doubled) - sum(1 for d in doubled if d)
        extra = f" and {more} more" if more else ""
        raise InputError(
            f"merge: tests ran in more than one shard: {shown}{extra}. The step did not split "
            "its tests (is testgate installed where its pytest runs? a step marked "
            "every_shard: true must split its own work with ${{ shard.index }})",
            slug="merge-shards",
        )

    # steps: one result per step, in the order they first appear
    by_step: dict[str, list[tuple[ShardRun, StepResult]]] = {}
    for s in ordered:
        for r in s.run.steps:
            by_step.setdefault(f"{r.stage}/{r.name}", []).append((s, r))
    merged.steps = [_merge_step(results, total) for results in by_step.values()]

    coverage = Coverage()
    for s in ordered:
        coverage.merge(s.run.coverage)
    merged.coverage = coverage

    seen_findings: set[tuple[object, ...]] = set()
    for s in ordered:
        for f in s.run.findings:
            fkey = tuple(sorted(f.to_dict().items()))
            if fkey not in seen_findings:
                seen_findings.add(fkey)
                merged.findings.append(Finding.from_dict(f.to_dict()))
        merged.reports.extend(s.run.reports)

    origin: dict[str, int] = {}
    for s in ordered:
        index = int(s.run.ci.shard_index or 0)
        for k, v in s.run.metrics.items():
            if k.startswith(_DERIVED):
                if not k.startswith("coverage."):
                    merged.metrics.setdefault(k, v)  # a marker; finalize recomputes it
                continue
            old = merged.metrics.get(k)
            if old is None:
                merged.metrics[k] = v
                origin[k] = index
            elif k.endswith(".max"):
                merged.metrics[k] = max(old, v)
            elif old != v:
                raise InputError(
                    f"merge: metric {k} is {old:g} in shard {origin[k]}/{total} and {v:g} in "
                    f"shard {index}/{total}; a figure such as a percentile cannot be combined "
                    "from parts: run the step that measures it in one shard only (leave "
                    "every_shard off)",
                    slug="merge-shards",
                )
    merged.finalize()
    return merged
