"""Scheduling with real processes: overlap, order, dependencies, resources, fail-fast."""

from __future__ import annotations

from testgate.model import Run, StepResult, write_summary
from testgate.testing import Project

from .conftest import Runner, intervals, overlap


def test_parallel_steps_overlap(stamp_project: Project, run_lib: Runner) -> None:
    stamp_project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: unit
              steps:
                - {name: a, run: sh stamp.sh a 0.6}
                - {name: b, run: sh stamp.sh b 0.6}
        """,
    )
    outcome = run_lib(workers=2)
    assert [s.status for s in outcome.run.steps] == ["passed", "passed"]
    iv = intervals(stamp_project.root)
    assert overlap(iv["a"], iv["b"]), iv


def test_parallel_false_runs_steps_one_after_another(
    stamp_project: Project, run_lib: Runner
) -> None:
    stamp_project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: db
              parallel: false
              steps:
                - {name: migrate, run: sh stamp.sh migrate 0.2}
                - {name: seed, run: sh stamp.sh seed 0.2}
                - {name: check, run: sh stamp.sh check 0.2}
        """,
    )
    run_lib(workers=3)
    iv = intervals(stamp_project.root)
    assert iv["migrate"][1] <= iv["seed"][0]
    assert iv["seed"][1] <= iv["check"][0]


def test_a_failure_in_a_sequential_stage_skips_the_rest(project: Project, run_lib: Runner) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: db
              parallel: false
              steps:
                - {name: migrate, run: exit 3}
                - {name: seed, run: "true"}
        """,
    )
    steps = run_lib().run.steps
    assert (steps[0].status, steps[0].exit_code) == ("failed", 3)
    assert (steps[1].status, steps[1].reason) == ("skipped", "previous step 'migrate' did not pass")


def test_depends_on_skips_dependants_of_a_failed_stage(
    stamp_project: Project, run_lib: Runner
) -> None:
    stamp_project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: build
              steps:
                - {name: compile, run: exit 1}
                - {name: docs, run: "true"}
            - name: test
              depends_on: [build]
              steps: [{name: unit, run: "true"}]
            - name: deploy
              depends_on: test
              steps: [{name: ship, run: "true"}]
            - name: lint
              steps: [{name: ruff, run: sh stamp.sh ruff 0.1}]
            - name: report
              depends_on: [ALL]
              steps: [{name: publish, run: "true"}]
        """,
    )
    outcome = run_lib(workers=2)
    by = {f"{s.stage}/{s.name}": s for s in outcome.run.steps}
    assert by["build/compile"].status == "failed"
    assert by["build/docs"].status == "passed"
    assert (by["test/unit"].status, by["test/unit"].reason) == ("skipped", "stage 'build' failed")
    assert (by["deploy/ship"].status, by["deploy/ship"].reason) == (
        "skipped",
        "stage 'build' failed",
    )
    assert by["lint/ruff"].status == "passed"
    assert by["report/publish"].status == "skipped"
    assert outcome.exit_code == 1


def test_allow_failure_does_not_fail_the_stage(project: Project, run_lib: Runner) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: a
              steps: [{name: flaky, run: exit 1, allow_failure: true}]
            - name: b
              depends_on: [a]
              steps: [{name: next, run: "true"}]
        """,
    )
    outcome = run_lib()
    assert [s.status for s in outcome.run.steps] == ["failed", "passed"]
    assert outcome.exit_code == 0


def test_longest_expected_step_starts_first(stamp_project: Project, run_lib: Runner) -> None:
    stamp_project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - {name: short, run: sh stamp.sh short 0}
                - {name: long, run: sh stamp.sh long 0}
                - {name: medium, run: sh stamp.sh medium 0}
                - {name: new, run: sh stamp.sh new 0}
        """,
    )
    previous = Run(
        id="prev",
        steps=[
            StepResult("s", "short", "passed", duration_s=1.0),
            StepResult("s", "long", "passed", duration_s=9.0),
            StepResult("s", "medium", "failed", duration_s=5.0),
        ],
    )
    write_summary(previous, stamp_project.root / ".testgate/latest/summary.json")
    run_lib(workers=1)
    iv = intervals(stamp_project.root)
    order = sorted(iv, key=lambda n: iv[n][0])
    # 'new' has no history: it counts as the mean (5.0) and ties with 'medium' by config order
    assert order == ["long", "medium", "new", "short"]


def test_without_history_config_order_decides(stamp_project: Project, run_lib: Runner) -> None:
    stamp_project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - {name: c, run: sh stamp.sh c 0}
                - {name: a, run: sh stamp.sh a 0}
                - {name: d, run: sh stamp.sh d 0}
                - {name: b, run: sh stamp.sh b 0}
        """,
    )
    run_lib(workers=1)
    iv = intervals(stamp_project.root)
    assert sorted(iv, key=lambda n: iv[n][0]) == ["c", "a", "d", "b"]


def test_resources_limit_concurrency(stamp_project: Project, run_lib: Runner) -> None:
    steps = "\n".join(
        f"        - {{name: t{i}, run: sh stamp.sh t{i} 0.2, resources: {{db: 1}}}}"
        for i in range(5)
    )
    stamp_project.write(
        "testgate.yaml",
        "resources:\n  db: 2\npipeline:\n  stages:\n    - name: s\n      steps:\n" + steps + "\n",
    )
    outcome = run_lib(workers=4)
    assert all(s.status == "passed" for s in outcome.run.steps)
    iv = intervals(stamp_project.root)
    events = sorted([(a, 1) for a, _ in iv.values()] + [(b, -1) for _, b in iv.values()])
    holders = peak = 0
    for _, delta in events:
        holders += delta
        peak = max(peak, holders)
    assert peak <= 2


def test_fail_fast_cancels_running_and_pending_steps(project: Project, run_lib: Runner) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - {name: slow, run: echo $$ > slow.pid; sleep 30}
                - {name: broken, run: sleep 0.3; exit 1}
            - name: later
              depends_on: [s]
              steps: [{name: x, run: "true"}]
        """,
    )
    outcome = run_lib(workers=2, fail_fast=True)
    by = {s.name: s for s in outcome.run.steps}
    assert by["broken"].status == "failed"
    assert by["slow"].status == "cancelled"
    assert by["slow"].reason == "cancelled: --fail-fast after 's/broken' failed"
    assert by["x"].status == "cancelled"
    assert outcome.exit_code == 1
