"""Timings from the history store: every shard of one commit reads the same ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from testgate.history.store import open_store
from testgate.model import CiInfo, Run, TestCase, VcsInfo
from testgate.shard.timings import from_history


def _run(rid: str, start: str, commit: str, seconds: float, shard: int | None = None) -> Run:
    run = Run(
        id=rid,
        started_at=f"2026-12-04T{start}+00:00",
        finished_at=f"2026-12-04T{start}+00:00",
        vcs=VcsInfo(commit=commit, branch="main"),
        ci=CiInfo(shard_index=shard, shard_total=2 if shard else None),
        tests=[TestCase("s", "pkg.test_a", "test_x", duration_s=seconds)],
    )
    run.finalize()
    return run


def test_only_runs_every_shard_of_the_commit_sees_alike(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with open_store(url) as store:
        store.record(_run("r1", "09:00:00", "old", 1.0))  # before the commit: used
        store.record(_run("r2", "09:30:00", "old", 3.0))  # before the commit: used
        store.record(_run("r3", "10:05:00", "head", 100.0, shard=1))  # a shard of this commit
        store.record(_run("r4", "10:06:00", "other", 100.0))  # another commit, after: not used
        store.record(_run("r5", "10:07:00", "head", 5.0))  # an unsharded run of this commit
    head = ("head", dt.datetime(2026, 12, 4, 10, 0, 0))
    timings = from_history(url, head=head)
    assert timings.source == "history (3 runs)"
    assert timings.durations == {"pkg.test_a::test_x": 3.0}  # the median of 1, 3 and 5
    everything = from_history(url, head=None)
    assert everything.source == "history (5 runs)"


def test_a_store_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    timings = from_history(f"sqlite:///{tmp_path / 'none.db'}", head=None)
    assert timings.durations == {}
    assert not (tmp_path / "none.db").exists()
