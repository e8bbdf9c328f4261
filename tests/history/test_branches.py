"""History per branch: the analyses look at the default branch unless told otherwise, so a PR
branch that fixes a broken test does not hide it on main."""

from __future__ import annotations

import json
import subprocess

from testgate.history import open_store
from testgate.model import write_summary
from testgate.testing import Project

from ._runs import BROKEN, Suite, case, make_run, tid


def _record(project: Project, runs: list) -> None:  # type: ignore[type-arg]
    for i, run in enumerate(runs):
        path = project.root / f"run{i}.json"
        write_summary(run, path)
        project.run("history", "record", path.name).assert_success()


def _fix_branch(n: int) -> list:  # type: ignore[type-arg]
    """A PR branch on which the broken test passes (it carries the fix), run after main."""
    runs = []
    for i in range(n):
        run = make_run(100 + i, [case(BROKEN), case("test_ok_00")], branch="fix/parser")
        runs.append(run)
    return runs


def test_a_pr_branch_that_fixes_a_test_does_not_hide_mains_broken_test(
    project: Project,
) -> None:
    project.write("testgate.yaml", "pipeline: {stages: []}\n")
    main = Suite(runs=30).build()
    # the fix branch's runs interleave with main's last runs
    fix = _fix_branch(12)
    for i, run in enumerate(fix):
        run.started_at = main[18 + i].started_at.replace("+00:00", ".5+00:00")
    _record(project, [*main, *fix])

    out = project.run("flaky", "--json").assert_success()
    broken = [b["test"] for b in json.loads(out.out)["broken"]]
    assert tid(BROKEN) in broken  # main's verdict: broken since a commit

    text = project.run("flaky").assert_success().out
    assert "on main (the default branch" in text

    mixed = project.run("flaky", "--all-branches", "--json").assert_success()
    assert tid(BROKEN) not in [b["test"] for b in json.loads(mixed.out)["broken"]]

    on_fix = project.run("flaky", "--branch", "fix/parser", "--json").assert_success()
    assert json.loads(on_fix.out)["broken"] == []


def test_the_default_branch_comes_from_config_then_git(project: Project) -> None:
    project.write("testgate.yaml", "pipeline: {stages: []}\nhistory: {default_branch: dev}\n")
    runs = [make_run(i, [case("test_ok_00")], branch=b) for i, b in enumerate(["dev", "main"])]
    _record(project, runs)
    assert "on dev (history.default_branch)" in project.run("slow").assert_success().out
    project.write("testgate.yaml", "pipeline: {stages: []}\n")
    subprocess.run(["git", "init", "-q", "-b", "dev"], cwd=project.root, check=True)
    subprocess.run(["git", "config", "init.defaultBranch", "dev"], cwd=project.root, check=True)
    out = project.run("insights", "--json").assert_success()
    assert json.loads(out.out)["branch"] == "dev"


def test_branch_and_all_branches_exclude_each_other(project: Project) -> None:
    out = project.run("flaky", "--branch", "main", "--all-branches").assert_code(2)
    assert "--branch and --all-branches exclude each other" in out.err


def test_branch_counts(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        for i, b in enumerate(["main", "main", "fix"]):
            store.record(make_run(i, [case("test_ok_00")], branch=b))
        assert store.branch_counts() == {"main": 2, "fix": 1}
