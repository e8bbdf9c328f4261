"""``testgate validate``: every problem at once, each with the exact line and key path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testgate.config import load_config
from testgate.config.loader import InvalidConfig
from testgate.testing import Project

GOOD = """
version: 1
project: shop
resources:
  database_pool: 2
services:
  api:
    start: python -m http.server 8765
    ready: {http: "http://127.0.0.1:8765/", timeout: 20s}
pipeline:
  stages:
    - name: lint
      steps:
        - name: ruff
          run: ruff check .
    - name: unit
      depends_on: lint
      steps:
        - name: pytest
          run: [python, -m, pytest, --junitxml=reports/junit.xml]
          timeout: 5m
          retries: 1
          reports: [reports/junit.xml, {path: reports/coverage.xml, format: cobertura}]
        - name: node
          run: node --test --test-reporter=junit --test-reporter-destination=${{ matrix.node }}.xml
          matrix: {node: [18, 20]}
          env: {NODE_VERSION: "${{ matrix.node }}"}
    - name: integration
      depends_on: [unit]
      conditional: branch == 'main' || manual_trigger
      steps:
        - name: db
          run: pytest tests/integration
          services: [api]
          resources: {database_pool: 2}
          when: changed('src/**') && env.SKIP_DB != '1'
    - name: gates
      depends_on: [ALL]
      steps:
        - name: report
          run: echo done
"""


def test_good_config_validates(project: Project) -> None:
    project.write("testgate.yaml", GOOD)
    out = project.run("validate", "-c", "testgate.yaml").assert_success()
    assert out.out.strip() == "testgate.yaml: OK (4 stages, 5 steps)"


def test_good_config_model_and_lines(project: Project) -> None:
    path = project.write("testgate.yaml", GOOD)
    loaded = load_config(path)
    stages = loaded.config.pipeline.stages
    assert stages[1].depends_on == ["lint"]
    assert stages[1].steps[0].timeout == 300.0
    assert stages[1].steps[0].run == ["python", "-m", "pytest", "--junitxml=reports/junit.xml"]
    assert stages[2].condition == "branch == 'main' || manual_trigger"
    assert loaded.config.services["api"].ready is not None
    assert loaded.config.services["api"].ready.timeout == 20.0
    assert loaded.lines["pipeline.stages.1.steps.0.timeout"] == 20
    assert loaded.line_of("pipeline.stages.1.steps.0.timeout.nothing") == 20
    assert loaded.root == path.parent.resolve()


def test_validate_finds_the_config_in_a_parent(project: Project) -> None:
    project.write("testgate.yaml", GOOD)
    (project.root / "sub").mkdir()
    sub = Project(project.root / "sub")
    out = sub.run("validate").assert_success()
    assert out.out.strip() == "../testgate.yaml: OK (4 stages, 5 steps)"
    project.write("testgate.yaml", "version: 1\nbogus: 1\n")
    out = sub.run("validate").assert_code(2)
    assert "../testgate.yaml:2: bogus: unknown key 'bogus'" in out.err


STEP = "version: 1\npipeline:\n  stages:\n    - name: unit\n      steps:\n        - name: a\n"
#        lines:  1           2          3          4               5             6

BROKEN = [
    pytest.param(
        STEP + "          run: pytest\n          timeout: 5 minutes\n",
        "testgate.yaml:8: pipeline.stages.0.steps.0.timeout: got '5 minutes' (string); "
        "expected a duration such as 90, 90s, 500ms, 5m, 1h or 1h30m",
        id="bad-duration",
    ),
    pytest.param(
        STEP + "          run: pytest\n          retries: many\n",
        "testgate.yaml:8: pipeline.stages.0.steps.0.retries: got 'many' (string); "
        "expected an integer",
        id="retries-not-int",
    ),
    pytest.param(
        STEP + "          run: pytest\n          retries: 11\n",
        "testgate.yaml:8: pipeline.stages.0.steps.0.retries: got 11 (integer); "
        "expected a number <= 10",
        id="retries-too-many",
    ),
    pytest.param(
        "version: 1\npipeline:\n  stages:\n    - name: unit\n      dpends_on: [x]\n",
        "testgate.yaml:5: pipeline.stages.0.dpends_on: unknown key 'dpends_on'; "
        "did you mean 'depends_on'?",
        id="misspelt-key",
    ),
    pytest.param(
        STEP + "          command: pytest\n",
        "testgate.yaml:7: pipeline.stages.0.steps.0.command: unknown key 'command'; "
        "did you mean 'run'?",
        id="synonym-key",
    ),
    pytest.param(
        STEP + "          timeout: 5m\n",
        "testgate.yaml:6: pipeline.stages.0.steps.0.run: missing required key 'run'; "
        "expected a string run by the shell, or an argv list",
        id="missing-run",
    ),
    pytest.param(
        STEP + "          run: 42\n",
        "testgate.yaml:7: pipeline.stages.0.steps.0.run: got 42 (integer); expected a command",
        id="run-not-a-command",
    ),
    pytest.param(
        STEP + "          run: pytest\n    - name: unit\n      steps: []\n",
        "testgate.yaml:8: pipeline.stages.1.name: duplicate stage name 'unit' (also stage 0)",
        id="duplicate-stage",
    ),
    pytest.param(
        STEP + "          run: a\n        - name: a\n          run: b\n",
        "testgate.yaml:8: pipeline.stages.0.steps.1.name: duplicate step name 'a' in stage "
        "'unit' (also step 0)",
        id="duplicate-step",
    ),
    pytest.param(
        STEP + "          run: a\n    - name: it\n      depends_on: [unti]\n",
        "testgate.yaml:9: pipeline.stages.1.depends_on.0: unknown stage 'unti'; "
        "did you mean 'unit'? expected one of: unit, it or ALL",
        id="unknown-dependency",
    ),
    pytest.param(
        "pipeline:\n  stages:\n    - name: a\n      depends_on: c\n    - name: b\n"
        "      depends_on: [a]\n    - name: c\n      depends_on: [b]\n",
        "testgate.yaml:4: pipeline.stages.0.depends_on: dependency cycle: a -> c -> b -> a; "
        "expected stages to form a DAG",
        id="cycle",
    ),
    pytest.param(
        "pipeline:\n  stages:\n    - name: a\n      depends_on: [ALL]\n    - name: b\n"
        "      depends_on: [ALL]\n",
        "testgate.yaml:4: pipeline.stages.0.depends_on: dependency cycle: a -> b -> a "
        "(ALL means every other stage)",
        id="cycle-through-all",
    ),
    pytest.param(
        "services:\n  api: {start: ./serve}\n"
        + STEP
        + "          run: a\n          services: [apy]\n",
        "testgate.yaml:10: pipeline.stages.0.steps.0.services.0: unknown service 'apy'; "
        "did you mean 'api'? expected one of the services: api",
        id="unknown-service",
    ),
    pytest.param(
        STEP + "          run: a\n          resources: [database_pool]\n",
        "testgate.yaml:8: pipeline.stages.0.steps.0.resources.0: unknown resource "
        "'database_pool'; expected a resource declared under the top-level 'resources:'",
        id="unknown-resource",
    ),
    pytest.param(
        "resources:\n  database_pool: 2\n"
        + STEP
        + "          run: a\n          resources:\n            database_pool: 3\n",
        "testgate.yaml:11: pipeline.stages.0.steps.0.resources.database_pool: needs 3 of "
        "'database_pool' but its capacity is 2",
        id="resource-over-capacity",
    ),
    pytest.param(
        "version: 1\npipeline:\n  stages:\n    - name: perf\n"
        "      conditional: branch = 'main' || manual_trigger\n",
        "testgate.yaml:5: pipeline.stages.0.conditional: cannot parse the expression: "
        "column 8: unexpected '='; compare with '=='",
        id="bad-expression",
    ),
    pytest.param(
        STEP + "          run: a\n          when: brnch == 'main'\n",
        "testgate.yaml:8: pipeline.stages.0.steps.0.when: cannot parse the expression: "
        "column 1: unknown name 'brnch'; did you mean 'branch'?",
        id="unknown-name-in-expression",
    ),
    pytest.param(
        STEP + "          run: a\n          matrix:\n            python: []\n",
        "testgate.yaml:9: pipeline.stages.0.steps.0.matrix.python: got an empty list; "
        "expected at least one value",
        id="empty-matrix",
    ),
    pytest.param(
        STEP + "          run: tox -e py${{ matrix.pyton }}\n          matrix: {python: [311]}\n",
        "testgate.yaml:7: pipeline.stages.0.steps.0.run: '${{ matrix.pyton }}' names an "
        "undeclared matrix key 'pyton'; did you mean 'python'?",
        id="undeclared-matrix-key",
    ),
    pytest.param(
        "version: 1\nproject: a\nproject: b\n",
        "testgate.yaml:3: project: duplicate key 'project' (first at line 2); "
        "expected each key once",
        id="duplicate-key",
    ),
    pytest.param(
        STEP + "          run: a\n          env:\n            PATHS: [a, b]\n",
        "testgate.yaml:9: pipeline.stages.0.steps.0.env.PATHS: got ['a', 'b'] (list); "
        "expected a string",
        id="env-not-a-string",
    ),
    pytest.param(
        "version: 2\n",
        "testgate.yaml:1: version: got 2 (integer); expected one of 1",
        id="bad-version",
    ),
    pytest.param(
        "pipeline:\n  stages:\n    - name: a\n      steps:\n    - name: b\n  bad: [\n",
        "testgate.yaml:7:1: invalid YAML:",
        id="yaml-syntax",
    ),
    pytest.param(
        "pipeline:\n  stages:\n  - name: a\n   steps: []\n",
        "testgate.yaml:4:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping at line 2); check the indentation of this line",
        id="yaml-indentation",
    ),
    pytest.param(
        "pipeline:\n\tstages: []\n",
        "testgate.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs",
        id="yaml-tab",
    ),
    pytest.param(
        "- just\n- a list\n",
        "testgate.yaml:1: got ['just', 'a list'] (list); expected a mapping of keys",
        id="not-a-mapping",
    ),
    pytest.param(
        "services:\n  api:\n    start: ./serve\n    ready: {}\n",
        "testgate.yaml:4: services.api.ready: got none of them; expected exactly one of 'http', "
        "'tcp' or 'command'",
        id="service-without-probe",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_config_names_line_and_key(project: Project, text: str, expected: str) -> None:
    project.write("testgate.yaml", text)
    out = project.run("validate", "-c", "testgate.yaml").assert_code(2)
    assert any(expected in line for line in out.err.splitlines()), out.err


def test_every_problem_is_reported_at_once(project: Project) -> None:
    project.write(
        "testgate.yaml",
        STEP
        + "          run: a\n          timeout: soon\n          retries: -1\n"
        + "    - name: b\n      depends_on: [nope]\n      when: 'x ='\n",
    )
    out = project.run("validate", "-c", "testgate.yaml").assert_code(2)
    out.fnmatch_lines(
        [
            "testgate: error: 4 problems found*",
            "  testgate.yaml:8: pipeline.stages.0.steps.0.timeout: got 'soon' (string);*",
            "  testgate.yaml:9: pipeline.stages.0.steps.0.retries: got -1 (integer);*>= 0",
            "  testgate.yaml:11: pipeline.stages.1.depends_on.0: unknown stage 'nope';*",
            "  testgate.yaml:12: pipeline.stages.1.when: cannot parse the expression: column 3: *",
        ],
        stream="err",
    )
    assert "Traceback" not in out.err


def test_json_format(project: Project) -> None:
    project.write("testgate.yaml", STEP + "          run: a\n          retries: x\n")
    out = project.run("validate", "-c", "testgate.yaml", "--format", "json").assert_code(2)
    doc = json.loads(out.out)
    assert doc["ok"] is False
    assert doc["problems"] == [
        {
            "file": "testgate.yaml",
            "line": 8,
            "column": None,
            "key": "pipeline.stages.0.steps.0.retries",
            "message": "got 'x' (string); expected an integer",
        }
    ]
    project.write("testgate.yaml", GOOD)
    doc = json.loads(project.run("validate", "--format", "json").assert_success().out)
    assert (doc["ok"], doc["stages"], doc["steps"]) == (True, 4, 5)


def test_missing_file(project: Project) -> None:
    out = project.run("validate", "-c", "nope.yaml").assert_code(2)
    assert "nope.yaml: no such configuration file" in out.err


def test_seed_pipeline_bare_steps_each_get_one_clear_problem(
    project: Project, fixtures: Path
) -> None:
    shutil.copy(fixtures / "config" / "seed_pipeline.yaml", project.root / "testgate.yaml")
    out = project.run("validate", "-c", "testgate.yaml").assert_code(2)
    problems = [line for line in out.err.splitlines() if line.startswith("  ")]
    # 27 bare steps, one problem each, and nothing else (ALL and the conditional are fine)
    assert len(problems) == 27
    assert problems[0] == (
        "  testgate.yaml:5: pipeline.stages.0.steps.0: step 'code-quality-check' is only a name "
        "and has no command; expected a mapping: write '- name: code-quality-check' and, "
        "indented below it, 'run: <command>'"
    )
    assert all("is only a name and has no command" in p for p in problems)


def test_seed_pipeline_with_commands_validates(project: Project, fixtures: Path) -> None:
    """The seed's pipeline, each bare step given the suggested fix, validates."""
    seed = (fixtures / "config" / "seed_pipeline.yaml").read_text()
    fixed = []
    for line in seed.splitlines():
        stripped = line.strip()
        if line.startswith("        - ") and ":" not in stripped:
            name = stripped[2:]
            fixed += [f"        - name: {name}", f"          run: echo {name}"]
        else:
            fixed.append(line)
    project.write("testgate.yaml", "\n".join(fixed) + "\n")
    out = project.run("validate", "-c", "testgate.yaml").assert_success()
    assert out.out.strip() == "testgate.yaml: OK (7 stages, 27 steps)"
    cfg = load_config(project.root / "testgate.yaml").config
    perf = cfg.pipeline.stages[4]
    assert perf.condition == "branch == 'main' || manual_trigger"
    assert cfg.pipeline.stages[6].depends_on == ["ALL"]


@pytest.mark.parametrize("name", ["seed_gates.yaml", "seed_sections.yaml"])
def test_seed_sections_owned_by_others_load(fixtures: Path, name: str) -> None:
    loaded = load_config(fixtures / "config" / name)
    if name == "seed_gates.yaml":
        assert sorted(loaded.config.gates) == [
            "code_quality_gate",
            "coverage_gate",
            "e2e_gate",
            "integration_gate",
            "performance_gate",
            "security_gate",
        ]
    else:
        assert set(loaded.config.deployment_gates) == {"staging", "production"}
        assert len(loaded.config.alerts) == 3


def test_problems_are_structured(project: Project) -> None:
    path = project.write("testgate.yaml", "version: 1\nbogus: 1\n")
    with pytest.raises(InvalidConfig) as info:
        load_config(path)
    (problem,) = info.value.items
    assert (problem.line, problem.key) == (2, "bogus")
    assert problem.message.startswith("unknown key 'bogus'; expected one of: version, project")
    assert info.value.problems == [str(problem)]


def test_anchors_and_merge_keys(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """
        x-step: &defaults
          timeout: 5m
          retries: 1
        pipeline:
          stages:
            - name: a
              steps:
                - <<: *defaults
                  name: one
                  run: echo 1
                - <<: *defaults
                  name: two
                  run: echo 2
                  retries: 2
                  tmeout: 3
        """,
    )
    out = project.run("validate", "-c", "testgate.yaml").assert_code(2)
    assert out.err.splitlines()[-1] == (
        "testgate: error: testgate.yaml:15: pipeline.stages.0.steps.1.tmeout: unknown key "
        "'tmeout'; did you mean 'timeout'? (see docs/errors.md#config-invalid)"
    )
    project.write("testgate.yaml", (project.root / "testgate.yaml").read_text().replace("tm", "# "))
    steps = load_config(project.root / "testgate.yaml").config.pipeline.stages[0].steps
    assert [(s.timeout, s.retries) for s in steps] == [(300.0, 1), (300.0, 2)]


def test_secrets_section_short_form_and_bad_pattern(project: Project) -> None:
    """``secrets:`` takes a list of variable names, or a mapping; a pattern that is no regular
    expression (or matches the empty text) is a located error."""
    project.write("testgate.yaml", "secrets: [DEPLOY_HOOK, 'SENTRY_*']\n")
    loaded = load_config(project.root / "testgate.yaml")
    assert loaded.config.secrets.env == ["DEPLOY_HOOK", "SENTRY_*"]
    assert loaded.config.secrets.shapes is True
    project.write("testgate.yaml", "secrets:\n  patterns:\n    - 'ok_[0-9]+'\n    - 'acme_('\n")
    out = project.run("validate").assert_code(2)
    assert "testgate.yaml:4: secrets.patterns.1: not a regular expression" in out.err
    project.write("testgate.yaml", "secrets:\n  patterns: ['x*']\n")
    out = project.run("validate").assert_code(2)
    assert "matches the empty text" in out.err
