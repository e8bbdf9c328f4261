"""Flaky versus broken: the issue's acceptance test, on SQLite and PostgreSQL, and each signal."""

from __future__ import annotations

from datetime import date

import pytest

from testgate.history import open_store
from testgate.history.flaky import (
    FlakyParams,
    classify,
    ew_flip_rate,
    find_flaky,
    flip_count,
    suggest,
)
from testgate.history.store import ResultsWindow, RunInfo

from ._runs import BROKEN, BROKEN_AT, FLAKY, HEALTHY, Suite, case, commit_of, make_run, tid


def test_thirty_runs_give_exactly_the_three_flaky_and_the_one_broken(store_url: str) -> None:
    with open_store(store_url) as store:
        for run in Suite().build():
            store.record(run)
        report = find_flaky(store, FlakyParams(window=50, min_runs=5))
    assert sorted(v.test for v in report.flaky) == sorted(tid(n) for n in FLAKY)
    assert [v.test for v in report.broken] == [tid(BROKEN)]
    broken = report.broken[0]
    assert broken.since_commit == commit_of(BROKEN_AT)
    assert broken.since_run == f"run-main-{BROKEN_AT:03d}"
    assert broken.streak == 30 - BROKEN_AT
    doc = report.to_dict()
    assert set(doc) >= {"flaky", "broken"}
    entry = doc["flaky"][0]
    assert {"test", "score", "runs", "flips", "last_seen", "failures"} <= set(entry)
    assert entry["runs"] == 30
    assert entry["flips"] >= 2
    assert 0 < entry["score"] <= 1
    assert doc["broken"][0]["since_commit"] == commit_of(BROKEN_AT)


def test_outage_runs_are_left_out_of_the_scores(sqlite_url: str) -> None:
    # two runs where the database was down: every healthy test errored at once
    with open_store(sqlite_url) as store:
        for run in Suite(outages={5, 12}).build():
            store.record(run)
        report = find_flaky(store)
    assert report.outage_runs == ["run-main-005", "run-main-012"]
    assert report.runs_analysed == 28
    assert sorted(v.test for v in report.flaky) == sorted(tid(n) for n in FLAKY)
    assert not any(v.test == tid(HEALTHY[0]) for v in report.flaky + report.broken)


def _window(seqs: dict[str, list[tuple[str, bool, int]]], commits: list[str]) -> ResultsWindow:
    """A window from per-test (status, flaky flag, attempts) lists, one per run."""
    from datetime import datetime, timedelta

    t0 = datetime(2026, 1, 1)
    runs = [
        RunInfo(
            i + 1,
            f"r{i}",
            "",
            "main",
            c,
            None,
            t0 + timedelta(minutes=i),
            None,
            None,
            "passed",
            None,
            False,
            40,
            0,
        )
        for i, c in enumerate(commits)
    ]
    codes = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}
    outcomes = {
        t: [(i, codes[s], f, a) for i, (s, f, a) in enumerate(seq)] for t, seq in seqs.items()
    }
    return ResultsWindow(runs=runs, outcomes=outcomes)


def test_a_pass_on_retry_is_flaky_even_in_one_run() -> None:
    w = _window({"t::retried": [("passed", True, 2)]}, ["c1"])
    report = classify(w, FlakyParams())
    assert [v.test for v in report.flaky] == ["t::retried"]
    assert report.flaky[0].signals == ["retry"]
    assert report.flaky[0].retried_passes == 1


def test_both_outcomes_on_one_commit_is_flaky() -> None:
    seq = [("passed", False, 1), ("failed", False, 1), ("passed", False, 1)]
    report = classify(_window({"t::x": seq}, ["c1", "c2", "c2"]), FlakyParams())
    assert [v.test for v in report.flaky] == ["t::x"]
    assert report.flaky[0].same_commit == ["c2"]
    assert "same-commit" in report.flaky[0].signals


def test_a_fixed_regression_is_neither_flaky_nor_broken() -> None:
    p, f = ("passed", False, 1), ("failed", False, 1)
    seq = [p] * 10 + [f] * 4 + [p] * 10
    report = classify(_window({"t::x": seq}, [f"c{i}" for i in range(24)]), FlakyParams())
    assert report.flaky == []
    assert report.broken == []


def test_too_few_runs_give_no_flip_verdict() -> None:
    p, f = ("passed", False, 1), ("failed", False, 1)
    report = classify(_window({"t::x": [p, f, p]}, ["a", "b", "c"]), FlakyParams(min_runs=5))
    assert report.flaky == []
    report = classify(_window({"t::x": [p, f, p, p, p]}, list("abcde")), FlakyParams(min_runs=5))
    assert [v.test for v in report.flaky] == ["t::x"]


def test_a_flaky_test_needs_a_longer_streak_to_be_called_broken() -> None:
    p, f = ("passed", False, 1), ("failed", False, 1)
    # 30 % failures before: three failures in a row are chance, eight are not
    before = [p, p, f, p, p, f, p, f, p, p] * 2
    commits = [f"c{i}" for i in range(40)]
    short = classify(_window({"t::x": [*before, f, f, f]}, commits), FlakyParams())
    assert [v.test for v in short.flaky] == ["t::x"]
    assert short.broken == []
    long = classify(_window({"t::x": before + [f] * 8}, commits), FlakyParams())
    assert [v.test for v in long.broken] == ["t::x"]
    assert long.broken[0].since_commit == "c20"


def test_broken_before_the_window_names_the_commit_from_older_history(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        for i in range(20):
            status = "failed" if i >= 6 else "passed"
            store.record(make_run(i, [case("test_a"), case("test_b", status)]))
        report = find_flaky(store, FlakyParams(window=10))
    assert [v.test for v in report.broken] == [tid("test_b")]
    assert report.broken[0].since_commit == commit_of(6)
    assert report.broken[0].passed_before


def test_flip_rates() -> None:
    assert flip_count([False, True, False, False]) == 2
    assert ew_flip_rate([False, True], 0.5) == 1.0
    # the newest flip weighs most: a test that stopped flipping fades out
    assert ew_flip_rate([True, False, False, False], 0.5) < ew_flip_rate(
        [False, False, True, False], 0.5
    )
    with pytest.raises(ValueError, match="alpha"):
        FlakyParams(alpha=0)


def test_suggest_prints_quarantine_entries_and_deselect_arguments(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        for run in Suite().build():
            store.record(run)
        report = find_flaky(store)
        infos = store.test_infos([v.test for v in report.flaky])
    text = suggest(report, infos, today=date(2026, 3, 1))
    import yaml

    doc = yaml.safe_load(text.split("\n\n")[0])
    assert [e["test"] for e in doc["quarantine"]] == [v.test for v in report.flaky]
    assert all(
        e["owner"] == "TODO" and str(e["expires"]) == "2026-03-15" for e in doc["quarantine"]
    )
    assert "--deselect tests/test_app.py::test_flaky_" in text
    assert "jest --testNamePattern '^(?!.*(?:test_flaky_" in text
