"""``testgate init`` on real throwaway repositories of each kind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testgate.config import LoadedConfig, load_config
from testgate.config.schema import StepSpec
from testgate.testing import Project

PYTEST_TEST = "def test_one():\n    assert 1 + 1 == 2\n\ndef test_two():\n    pass\n"
NODE_TEST = """
const test = require('node:test');
const assert = require('node:assert');
test('adds', () => assert.strictEqual(1 + 1, 2));
test('skips', { skip: true }, () => {});
"""


def _init(project: Project, *args: str) -> LoadedConfig:
    out = project.run("init", *args).assert_success()
    assert "wrote " in out.out
    project.run("validate", "-c", "testgate.yaml").assert_success()
    return load_config(project.root / "testgate.yaml")


def _steps(loaded: LoadedConfig) -> dict[str, StepSpec]:
    return {s.name: s for stage in loaded.config.pipeline.stages for s in stage.steps}


def _run_step(loaded: LoadedConfig, step: StepSpec) -> None:
    """Run the step's command as the pipeline would: shell, cwd, env; venv first on PATH."""
    assert isinstance(step.run, str)
    env = {**os.environ, **step.env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    cwd = loaded.root / (step.cwd or ".")
    proc = subprocess.run(
        step.run, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pytest_project_without_pytest_cov_gets_plain_junit(project: Project) -> None:
    project.write("pyproject.toml", '[project]\nname = "calc"\ndependencies = []\n')
    project.write("tests/test_calc.py", PYTEST_TEST)
    loaded = _init(project)
    step = _steps(loaded)["pytest"]
    assert step.run == "python -m pytest --junitxml=test-reports/pytest-junit.xml"
    assert [(r.path, r.format) for r in step.reports] == [
        ("test-reports/pytest-junit.xml", "junit")
    ]
    _run_step(loaded, step)
    report = (loaded.root / step.reports[0].path).read_text()
    assert 'tests="2"' in report


def test_pytest_project_with_pytest_cov_gets_coverage(project: Project) -> None:
    project.write("setup.cfg", "[options.extras_require]\ntest =\n    pytest\n    pytest-cov>=4\n")
    project.write("src/calc/__init__.py", "def add(a, b):\n    return a + b\n")
    project.write("tests/test_calc.py", PYTEST_TEST)
    loaded = _init(project)
    step = _steps(loaded)["pytest"]
    assert step.run == (
        "python -m pytest --junitxml=test-reports/pytest-junit.xml --cov=calc --cov-branch "
        "--cov-report=xml:test-reports/coverage.xml"
    )
    assert [(r.path, r.format) for r in step.reports] == [
        ("test-reports/pytest-junit.xml", "junit"),
        ("test-reports/coverage.xml", "cobertura"),
    ]
    text = (project.root / "testgate.yaml").read_text()
    assert "# pytest-cov is declared" in text
    project.write("tests/conftest.py", "import sys\nsys.path.insert(0, 'src')\n")
    project.write(
        "tests/test_calc.py", "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    _run_step(loaded, step)
    cobertura = (loaded.root / "test-reports/coverage.xml").read_text()
    assert 'lines-valid="2" lines-covered="2"' in cobertura
    assert 'filename="src/calc/__init__.py"' in cobertura


def test_pytest_ini_only(project: Project) -> None:
    project.write("pytest.ini", "[pytest]\n")
    project.write("requirements-dev.txt", "pytest\npytest_cov\n")
    step = _steps(_init(project))["pytest"]
    assert isinstance(step.run, str)
    assert "--cov=. " in step.run


def test_node_test_project_runs_and_writes_junit(project: Project) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    project.write("package.json", json.dumps({"name": "web", "scripts": {"test": "node --test"}}))
    project.write("test/add.test.js", NODE_TEST)
    loaded = _init(project)
    step = _steps(loaded)["node-test"]
    assert [(r.path, r.format) for r in step.reports] == [("test-reports/node-junit.xml", "junit")]
    _run_step(loaded, step)
    report = (loaded.root / "test-reports/node-junit.xml").read_text()
    assert "<testsuites" in report
    assert 'name="adds"' in report


def test_jest_project(project: Project) -> None:
    project.write(
        "package.json",
        json.dumps({"devDependencies": {"jest": "^29", "jest-junit": "^16"}, "scripts": {}}),
    )
    loaded = _init(project)
    step = _steps(loaded)["jest"]
    assert step.run == (
        "npx jest --ci --reporters=default --reporters=jest-junit --coverage "
        "--coverageReporters=cobertura --coverageDirectory=test-reports"
    )
    assert step.env == {
        "JEST_JUNIT_OUTPUT_DIR": "test-reports",
        "JEST_JUNIT_OUTPUT_NAME": "jest-junit.xml",
    }
    assert [r.path for r in step.reports] == [
        "test-reports/jest-junit.xml",
        "test-reports/cobertura-coverage.xml",
    ]
    assert "npm install --save-dev jest-junit" not in (project.root / "testgate.yaml").read_text()


def test_jest_without_jest_junit_says_how_to_add_it(project: Project) -> None:
    project.write("package.json", json.dumps({"scripts": {"test": "jest"}}))
    _init(project)
    assert "npm install --save-dev jest-junit" in (project.root / "testgate.yaml").read_text()


def test_go_module(project: Project) -> None:
    project.write("go.mod", "module example.com/svc\n\ngo 1.22\n")
    step = _steps(_init(project))["go-test"]
    assert step.run == "gotestsum --junitfile test-reports/go-junit.xml -- ./..."
    assert [r.path for r in step.reports] == ["test-reports/go-junit.xml"]


def test_monorepo_gets_one_step_per_package(project: Project) -> None:
    project.write("pyproject.toml", "[project]\nname = 'api'\n")
    project.write("tests/test_api.py", PYTEST_TEST)
    project.write("tests/conftest.py", "")
    project.write("packages/web/package.json", "{}")
    project.write("services/auth/go.mod", "module auth\n")
    project.write("node_modules/x/package.json", "{}")
    steps = _steps(_init(project))
    assert sorted(steps) == ["packages-web-node-test", "pytest", "services-auth-go-test"]
    web = steps["packages-web-node-test"]
    assert web.cwd == "packages/web"
    assert [r.path for r in web.reports] == ["packages/web/test-reports/node-junit.xml"]


def test_empty_repository_gets_a_placeholder(project: Project) -> None:
    out = project.run("init").assert_success()
    assert "no pytest project, package.json or go.mod found" in out.out
    project.run("validate").assert_success()


def test_refuses_to_overwrite_without_force(project: Project) -> None:
    project.write("testgate.yaml", "version: 1\n")
    out = project.run("init").assert_code(2)
    assert "testgate.yaml exists; pass --force to overwrite it" in out.err
    assert (project.root / "testgate.yaml").read_text() == "version: 1\n"
    project.write("go.mod", "module m\n")
    project.run("init", "--force").assert_success()
    assert "gotestsum" in (project.root / "testgate.yaml").read_text()


def test_init_into_another_directory(project: Project) -> None:
    project.write("sub/go.mod", "module m\n")
    project.run("init", "sub").assert_success()
    assert load_config(project.root / "sub" / "testgate.yaml").config.pipeline.stages
    project.run("init", "missing").assert_code(2)


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "polyglot"


def test_example_monorepo_every_package_is_found(project: Project) -> None:
    # the example keeps its JavaScript package two levels down, under web/ (issue 11, item 11)
    shutil.copytree(
        EXAMPLE,
        project.root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".testgate", "reports", "node_modules", "__pycache__"),
    )
    (project.root / "testgate.yaml").unlink()
    steps = _steps(_init(project))
    assert sorted(steps) == ["services-inventory-pytest", "web-pricing-node-test"]
    js = steps["web-pricing-node-test"]
    assert (js.cwd, [r.path for r in js.reports]) == (
        "web/pricing",
        ["web/pricing/test-reports/node-junit.xml"],
    )
    if shutil.which("node") is not None:
        loaded = load_config(project.root / "testgate.yaml")
        _run_step(loaded, js)
        assert "<testsuites" in (project.root / js.reports[0].path).read_text()


@pytest.mark.parametrize(
    ("package", "runner"),
    [
        # the test script decides, whatever else is declared
        ({"devDependencies": {"jest": "^29"}, "scripts": {"test": "node --test"}}, "node-test"),
        ({"scripts": {"test": "node --test --test-concurrency=1 test/"}}, "node-test"),
        ({"scripts": {"test": "npm run test:unit", "test:unit": "jest --ci"}}, "jest"),
        ({"scripts": {"test": "pnpm unit", "unit": "vitest run"}}, "vitest"),
        ({"devDependencies": {"vitest": "^1"}, "scripts": {"test": "jest"}}, "jest"),
        # no script: the declared runner
        ({"devDependencies": {"vitest": "^1"}}, "vitest"),
        ({}, "node-test"),
    ],
)
def test_the_test_script_tells_the_runner(
    project: Project, package: dict[str, object], runner: str
) -> None:
    project.write("package.json", json.dumps(package))
    assert list(_steps(_init(project))) == [runner]


def test_configured_lint_and_security_tools_become_checks(project: Project) -> None:
    project.write(
        "pyproject.toml",
        "[project]\nname = 'calc'\n\n[tool.ruff]\nline-length = 100\n\n[tool.bandit]\nskips = []\n",
    )
    project.write("calc.py", "import subprocess\n\ndef f(x):\n    assert x\n    return eval(x)\n")
    project.write("tests/test_calc.py", PYTEST_TEST)
    project.write("web/package.json", json.dumps({"scripts": {"test": "node --test"}}))
    project.write("web/eslint.config.js", "module.exports = [];\n")
    project.write(".gitleaks.toml", "title = 'x'\n")
    loaded = _init(project)
    stages = {st.name: [s.name for s in st.steps] for st in loaded.config.pipeline.stages}
    assert stages == {
        "test": ["pytest", "web-node-test"],
        "checks": ["ruff", "bandit", "gitleaks", "web-eslint"],
    }
    steps = _steps(loaded)
    assert steps["web-eslint"].allow_failure
    assert [(r.path, r.format) for r in steps["ruff"].reports] == [
        ("test-reports/ruff.sarif", "sarif")
    ]
    # ruff and bandit are installed here: run their steps and read what they wrote
    from testgate.adapters.ingest import ingest
    from testgate.adapters.registry import ReadContext

    for name in ("ruff", "bandit"):
        if shutil.which(name, path=str(Path(sys.executable).parent)) is None:
            continue
        (project.root / "test-reports").mkdir(exist_ok=True)
        _run_step(loaded, steps[name])
        (report,) = steps[name].reports
        run = ingest([project.root / report.path], ctx=ReadContext(root=project.root)).run
        if name == "ruff":
            assert "lint.errors" in run.metrics or "lint.warnings" in run.metrics
        else:  # bandit finds the eval and the assert
            assert [f.path for f in run.findings if f.rule == "B307"] == ["calc.py"]
