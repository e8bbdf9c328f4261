"""Planning: stage graph, selection, matrix names, priorities (no processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.config.loader import load_config
from testgate.errors import ConfigError, UsageError
from testgate.model import Run, StepResult, write_summary
from testgate.pipeline.plan import Plan, build_plan
from testgate.pipeline.runner import expected_durations
from testgate.pipeline.scheduler import priorities
from testgate.testing import Project

PIPELINE = """
pipeline:
  stages:
    - name: build
      steps: [{name: compile, run: make}]
    - name: test
      depends_on: [build]
      parallel: false
      steps:
        - {name: unit, run: pytest}
        - name: "py${{ matrix.v }}"
          matrix: {v: [3.11, 3.12]}
          run: ["python${{ matrix.v }}", -m, pytest]
    - name: deploy
      depends_on: test
      steps: [{name: ship, run: ./ship}]
    - name: notify
      depends_on: [ALL]
      steps: [{name: mail, run: ./mail}]
"""


def _plan(project: Project, text: str, **kw: object) -> Plan:
    project.write("testgate.yaml", text)
    return build_plan(load_config(project.root / "testgate.yaml"), **kw)  # type: ignore[arg-type]


def test_stage_graph_sequential_chain_and_matrix_names(project: Project) -> None:
    plan = _plan(project, PIPELINE)
    by = plan.by_key()
    assert list(by) == [
        "build/compile",
        "test/unit",
        "test/py3.11",
        "test/py3.12",
        "deploy/ship",
        "notify/mail",
    ]
    assert by["test/py3.12"].command == ["python3.12", "-m", "pytest"]
    assert by["test/py3.11"].deps == ["build/compile", "test/unit"]
    assert by["test/py3.12"].previous == "test/py3.11"
    assert plan.stage_deps["deploy"] == ["build", "test"]  # through 'test'
    assert plan.stage_deps["notify"] == ["build", "test", "deploy"]
    assert by["test/unit"].cwd == project.root.resolve()


def test_selection_drops_unselected_dependencies(project: Project) -> None:
    plan = _plan(project, PIPELINE, stages=["deploy", "notify"])
    assert [s.key for s in plan.steps] == ["deploy/ship", "notify/mail"]
    assert plan.by_key()["deploy/ship"].deps == []
    assert plan.by_key()["notify/mail"].deps == ["deploy/ship"]
    plan = _plan(project, PIPELINE, steps=["py*"])
    assert [s.key for s in plan.steps] == ["test/py3.11", "test/py3.12"]
    with pytest.raises(UsageError, match="--stage nope: no such stage"):
        _plan(project, PIPELINE, stages=["nope"])


def test_a_matrix_reference_to_an_unknown_key_is_an_error(project: Project) -> None:
    with pytest.raises(ConfigError, match=r"matrix"):
        _plan(
            project,
            """
            pipeline:
              stages:
                - name: s
                  steps:
                    - {name: t, run: "echo ${{ matrix.nope }}", matrix: {v: [1]}}
            """,
        )


def test_priorities_follow_the_longest_expected_path(project: Project) -> None:
    plan = _plan(project, PIPELINE)
    # no history: everything equal, configuration order decides
    assert set(priorities(plan, {}).values()) == {0.0}
    rank = priorities(
        plan,
        {"build/compile": 2, "test/unit": 1, "test/py3.11": 4, "test/py3.12": 4, "deploy/ship": 1},
    )
    # notify/mail has no history: it counts as the mean (2.4)
    assert rank["notify/mail"] == pytest.approx(2.4)
    assert rank["deploy/ship"] == pytest.approx(1 + 2.4)
    assert rank["build/compile"] > rank["test/unit"] > rank["deploy/ship"]


def test_expected_durations_read_compact_and_indented_summaries(tmp_path: Path) -> None:
    run = Run(
        id="r",
        project='tricky ,"steps":[ name',
        steps=[
            StepResult("s", "a", "passed", duration_s=1.5),
            StepResult("s", "b", "skipped", duration_s=0.0),
            StepResult("s", "c", "failed", duration_s=2.5),
        ],
    )
    write_summary(run, tmp_path / "latest/summary.json")
    assert expected_durations(tmp_path) == {"s/a": 1.5, "s/c": 2.5}
    (tmp_path / "latest/summary.json").write_text(json.dumps(run.to_dict(), indent=2))
    assert expected_durations(tmp_path) == {"s/a": 1.5, "s/c": 2.5}
    (tmp_path / "latest/summary.json").write_text("{not json")
    assert expected_durations(tmp_path) == {}
