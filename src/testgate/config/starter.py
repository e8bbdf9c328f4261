"""A starter ``testgate.yaml`` for the repository it finds (``testgate init``).

It looks at the repository root and at its immediate sub-directories (a monorepo's packages)
for pytest projects, ``package.json`` (jest, vitest or ``node --test``) and ``go.mod``, and
writes one step per suite with the JUnit (and, where the tools are declared, coverage) report
paths already wired. The file is written by hand rather than dumped, so that it can carry
comments that explain each part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["REPORT_DIR", "Suite", "detect_suites", "render_starter"]

#: where the generated commands write their reports, relative to the suite's directory
REPORT_DIR = "test-reports"

_SKIP_DIRS = {
    "node_modules",
    "venv",
    "build",
    "dist",
    "target",
    "vendor",
    "__pycache__",
    "site",
    "env",
}
_PY_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini", "conftest.py")
_PY_DEPS_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "Pipfile")


@dataclass
class Suite:
    """One test suite found, and the step that runs it."""

    name: str
    kind: str  # python, node, go
    directory: str  # relative to the config file; "" for the root
    run: str
    #: (path relative to the suite's directory, format)
    reports: list[tuple[str, str]]
    comments: list[str]
    env: dict[str, str] = field(default_factory=dict)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _python_text(d: Path) -> str:
    """Every file of *d* where Python dependencies are usually declared."""
    files = [d / n for n in _PY_DEPS_FILES]
    files += sorted(d.glob("requirements*.txt")) + sorted(d.glob("requirements/*.txt"))
    return "\n".join(_read(f) for f in files if f.is_file())


def _python_package(d: Path) -> str | None:
    """The import name coverage should measure, if there is one clear candidate."""
    for base in (d / "src", d):
        if not base.is_dir():
            continue
        pkgs = sorted(
            p.name
            for p in base.iterdir()
            if p.is_dir()
            and (p / "__init__.py").is_file()
            and p.name not in ("tests", "test", "docs", "examples")
        )
        if len(pkgs) == 1:
            return pkgs[0]
    return None


def _detect_python(d: Path) -> Suite | None:
    tests_dir = next((d / n for n in ("tests", "test") if (d / n).is_dir()), None)
    has_tests = tests_dir is not None and any(tests_dir.rglob("*.py"))
    if not (any((d / m).is_file() for m in _PY_MARKERS) or has_tests):
        return None
    deps = _python_text(d)
    junit = f"{REPORT_DIR}/pytest-junit.xml"
    cmd = f"python -m pytest --junitxml={junit}"
    reports = [(junit, "junit")]
    comments = [
        "Python: pytest, run by the interpreter on PATH (activate your virtualenv first).",
        "--junitxml writes the test results that testgate reads.",
    ]
    if re.search(r"pytest[-_]cov", deps, re.IGNORECASE):
        cov_xml = f"{REPORT_DIR}/coverage.xml"
        pkg = _python_package(d)
        cmd += f" --cov={pkg or '.'} --cov-branch --cov-report=xml:{cov_xml}"
        reports.append((cov_xml, "cobertura"))
        comments.append(
            "pytest-cov is declared: --cov writes Cobertura XML for coverage.line and "
            "coverage.branch."
        )
    else:
        comments.append(
            "Add pytest-cov to your dependencies, then --cov=PKG --cov-report=xml:"
            f"{REPORT_DIR}/coverage.xml to measure coverage too."
        )
    return Suite("pytest", "python", "", cmd, reports, comments)


def _detect_node(d: Path) -> Suite | None:
    pj = d / "package.json"
    if not pj.is_file():
        return None
    try:
        pkg = json.loads(_read(pj))
    except json.JSONDecodeError:
        pkg = {}
    if not isinstance(pkg, dict):
        pkg = {}
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        if isinstance(pkg.get(key), dict):
            deps |= set(pkg[key])
    scripts = pkg.get("scripts") if isinstance(pkg.get("scripts"), dict) else {}
    test_script = str((scripts or {}).get("test", ""))
    if "jest" in deps or "jest" in test_script:
        junit = f"{REPORT_DIR}/jest-junit.xml"
        comments = [
            "JavaScript: jest. The jest-junit reporter writes the JUnit XML testgate reads;",
            "--coverageReporters=cobertura writes coverage in a format testgate reads.",
        ]
        if "jest-junit" not in deps:
            comments.append("jest-junit is not declared yet: npm install --save-dev jest-junit")
        return Suite(
            "jest",
            "node",
            "",
            "npx jest --ci --reporters=default --reporters=jest-junit --coverage "
            f"--coverageReporters=cobertura --coverageDirectory={REPORT_DIR}",
            [(junit, "junit"), (f"{REPORT_DIR}/cobertura-coverage.xml", "cobertura")],
            comments,
            env={"JEST_JUNIT_OUTPUT_DIR": REPORT_DIR, "JEST_JUNIT_OUTPUT_NAME": "jest-junit.xml"},
        )
    if "vitest" in deps or "vitest" in test_script:
        junit = f"{REPORT_DIR}/vitest-junit.xml"
        return Suite(
            "vitest",
            "node",
            "",
            f"npx vitest run --reporter=default --reporter=junit --outputFile.junit={junit}",
            [(junit, "junit")],
            ["JavaScript: vitest; its junit reporter writes the JUnit XML testgate reads."],
        )
    junit = f"{REPORT_DIR}/node-junit.xml"
    return Suite(
        "node-test",
        "node",
        "",
        # node does not create the report's folder, hence the mkdir
        f"mkdir -p {REPORT_DIR} && node --test --test-reporter=spec "
        "--test-reporter-destination=stdout --test-reporter=junit "
        f"--test-reporter-destination={junit}",
        [(junit, "junit")],
        [
            "JavaScript: node's built-in test runner. The spec reporter goes to the log,",
            "the junit reporter to the file testgate reads.",
        ],
    )


def _detect_go(d: Path) -> Suite | None:
    if not (d / "go.mod").is_file():
        return None
    junit = f"{REPORT_DIR}/go-junit.xml"
    return Suite(
        "go-test",
        "go",
        "",
        f"gotestsum --junitfile {junit} -- ./...",
        [(junit, "junit")],
        [
            "Go: gotestsum runs go test and writes the JUnit XML testgate reads",
            "(install it with: go install gotest.tools/gotestsum@latest).",
        ],
    )


def _candidate_dirs(root: Path) -> list[Path]:
    subdirs = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in _SKIP_DIRS
    )
    # a monorepo keeps its packages one or two levels down (packages/web, services/api)
    nested = [
        q
        for p in subdirs
        if p.name in ("packages", "services", "apps", "libs")
        for q in sorted(p.iterdir())
        if q.is_dir() and not q.name.startswith(".")
    ]
    return [root, *subdirs, *nested]


def detect_suites(root: Path) -> list[Suite]:
    """The test suites of the repository at *root*, one per (directory, kind)."""
    suites: list[Suite] = []
    root_kinds: set[str] = set()
    for d in _candidate_dirs(root):
        rel = d.relative_to(root).as_posix() if d != root else ""
        for detect in (_detect_python, _detect_node, _detect_go):
            suite = detect(d)
            if suite is None:
                continue
            if d == root:
                root_kinds.add(suite.kind)
            elif suite.kind == "python" and "python" in root_kinds and d.name in ("tests", "test"):
                continue  # the root's own tests folder, already run from the root
            if rel:
                suite.directory = rel
                suite.name = f"{rel.replace('/', '-')}-{suite.name}"
            suites.append(suite)
    return suites


def _scalar(text: str) -> str:
    """*text* as a YAML scalar: plain when it reads back unchanged, else double-quoted."""
    try:
        if "#" not in text and yaml.safe_load(f"k: {text}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def render_starter(project: str, suites: list[Suite]) -> str:
    """The text of a starter ``testgate.yaml`` running *suites*."""
    out = [
        "# testgate.yaml, written by `testgate init`. Every key is described in",
        "# docs/configuration.md. Check this file with `testgate validate`, run it with",
        "# `testgate run`.",
        "version: 1",
        f"project: {_scalar(project)}",
        "",
        "pipeline:",
        "  stages:",
        "    # One stage holding every test suite found; its steps run in parallel.",
        "    # Add stages with `depends_on: [test]` to run something after the tests.",
        "    - name: test",
        "      steps:",
    ]
    if not suites:
        out += [
            "        # No pytest project, package.json or go.mod was found: replace this",
            "        # step with your own test command and the reports it writes.",
            "        - name: tests",
            '          run: echo "replace me with your test command"',
            "          reports: []",
        ]
    for s in suites:
        out += [f"        # {line}" for line in s.comments]
        out.append(f"        - name: {_scalar(s.name)}")
        if s.directory:
            out.append("          # the command runs in this folder (relative to this file)")
            out.append(f"          cwd: {_scalar(s.directory)}")
        out.append(f"          run: {_scalar(s.run)}")
        if s.env:
            out.append("          env:")
            out += [f"            {k}: {_scalar(v)}" for k, v in s.env.items()]
        out += [
            "          # kill the suite (and every process it started) if it hangs",
            "          timeout: 15m",
            "          # report paths are relative to this file, not to cwd",
            "          reports:",
        ]
        for path, fmt in s.reports:
            full = f"{s.directory}/{path}" if s.directory else path
            out.append(f"            - path: {_scalar(full)}")
            out.append(f"              format: {fmt}")
    out += [
        "",
        "# More sections, each described in docs/configuration.md:",
        "#   resources:  named counted semaphores (e.g. database_pool: 2) that steps hold",
        "#   services:   background services started before the steps that need them",
        "#   gates:      quality gates deciding whether the run may ship",
        "#   history:    where runs are remembered (SQLite in .testgate/ by default)",
        "",
    ]
    return "\n".join(out)
