"""A starter ``testgate.yaml`` for the repository it finds (``testgate init``).

It looks at the repository root and every package below it (a monorepo's packages, at any
depth up to :data:`MAX_DEPTH`: ``web/pricing``, ``packages/ui``, ``services/api``) for pytest
projects, ``package.json`` (the ``test`` script tells ``node --test`` from jest from vitest;
the declared dependencies decide only when there is no script) and ``go.mod``, and writes one
step per suite with the JUnit (and, where the tools are declared, coverage) report paths
already wired. Lint and security tools the repository already configures (ruff, eslint,
bandit, gitleaks, semgrep, detect-secrets, hadolint) get a step each in a ``checks`` stage,
writing a report testgate reads. The file is written by hand rather than dumped, so that it
can carry comments that explain each part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["MAX_DEPTH", "REPORT_DIR", "Suite", "detect_checks", "detect_suites", "render_starter"]

#: where the generated commands write their reports, relative to the suite's directory
REPORT_DIR = "test-reports"
#: how deep below the root packages are looked for (web/pricing is 2, a/b/c/d is 4)
MAX_DEPTH = 4
#: files that make a directory a package of its own
_PACKAGE_MARKERS = ("package.json", "pyproject.toml", "setup.py", "setup.cfg", "go.mod")

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
    #: the stage it goes in: "test", or "checks" for lint and security tools
    stage: str = "test"
    #: lint tools exit 1 on findings; the gates decide from the report, not the exit code
    allow_failure: bool = False


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
    test_script = _test_script(scripts or {})
    runner = _script_runner(test_script)
    if runner is None and not test_script.strip():
        # no test script: what is declared decides
        runner = "jest" if "jest" in deps else "vitest" if "vitest" in deps else None
    if runner == "jest":
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
    if runner == "vitest":
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


_RUN_SCRIPT = re.compile(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run(?:-script)?\s+)?([\w:.-]+)")


def _test_script(scripts: dict[str, object]) -> str:
    """The ``test`` script with the scripts it runs by name (``npm run test:unit``) inlined."""
    text = str(scripts.get("test") or "")
    seen = {"test"}
    for _ in range(5):  # bounded: scripts may name each other in a cycle
        names = [n for n in _RUN_SCRIPT.findall(text) if n in scripts and n not in seen]
        if not names:
            break
        for n in names:
            seen.add(n)
            text += " && " + str(scripts[n])
    return text


def _script_runner(script: str) -> str | None:
    """Which runner a test script starts: "node-test", "jest", "vitest" or None."""
    if re.search(r"\bnode\b[^&|;]*\s--test\b", script):
        return "node-test"
    if re.search(r"\bvitest\b", script):
        return "vitest"
    if re.search(r"\bjest\b", script):
        return "jest"
    return None


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
    """The root, its immediate sub-directories, and every package below, breadth first.

    A package (a directory holding package.json, pyproject.toml, setup.py/cfg or go.mod) is
    a candidate at any depth up to MAX_DEPTH; the walk does not go into a package found below
    the root (packages do not nest), nor into test folders, dot folders or dependency folders.
    """
    out = [root]
    level = [root]
    for depth in range(1, MAX_DEPTH + 1):
        nxt: list[Path] = []
        for d in level:
            try:
                children = sorted(p for p in d.iterdir() if p.is_dir())
            except OSError:
                continue
            for p in children:
                if p.name.startswith(".") or p.name in _SKIP_DIRS:
                    continue
                package = any((p / m).is_file() for m in _PACKAGE_MARKERS)
                if depth == 1 or package:
                    out.append(p)
                if not package and p.name not in ("tests", "test"):
                    nxt.append(p)
        level = nxt
    return out


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


def _has_section(d: Path, section: str) -> bool:
    """Whether *d*/pyproject.toml has a ``[section]`` (or a sub-table of it)."""
    text = _read(d / "pyproject.toml")
    return re.search(rf"^\[{re.escape(section)}(?:\.[\w-]+)*\]", text, re.MULTILINE) is not None


def _first_file(d: Path, *names: str) -> str | None:
    return next((n for n in names if (d / n).exists()), None)


def _checks_in(d: Path) -> list[Suite]:
    """The lint and security tools *d* configures, each as a step writing its report."""
    out: list[Suite] = []
    ruff_cfg = _first_file(d, "ruff.toml", ".ruff.toml")
    if ruff_cfg or _has_section(d, "tool.ruff"):
        report = f"{REPORT_DIR}/ruff.sarif"
        out.append(
            Suite(
                "ruff",
                "lint",
                "",
                f"ruff check --exit-zero --output-format=sarif --output-file={report} .",
                [(report, "sarif")],
                [
                    f"ruff is configured ({ruff_cfg or 'pyproject.toml [tool.ruff]'}): its SARIF",
                    "gives lint.errors and lint.warnings; --exit-zero leaves the verdict to gates.",
                ],
                stage="checks",
            )
        )
    bandit_cfg = _first_file(d, ".bandit", "bandit.yaml", "bandit.yml")
    if bandit_cfg or _has_section(d, "tool.bandit"):
        report = f"{REPORT_DIR}/bandit.json"
        config = f" -c {bandit_cfg or 'pyproject.toml'}" if bandit_cfg != ".bandit" else ""
        out.append(
            Suite(
                "bandit",
                "security",
                "",
                f"bandit -r .{config} -f json -o {report} --exit-zero",
                [(report, "bandit")],
                [
                    f"bandit is configured ({bandit_cfg or 'pyproject.toml [tool.bandit]'}): its",
                    "JSON gives security.* counts; --exit-zero leaves the verdict to gates.",
                ],
                stage="checks",
            )
        )
    eslint_cfg = _first_file(
        d,
        "eslint.config.js",
        "eslint.config.mjs",
        "eslint.config.cjs",
        "eslint.config.ts",
        ".eslintrc.js",
        ".eslintrc.cjs",
        ".eslintrc.json",
        ".eslintrc.yml",
        ".eslintrc.yaml",
        ".eslintrc",
    )
    if eslint_cfg:
        report = f"{REPORT_DIR}/eslint.json"
        out.append(
            Suite(
                "eslint",
                "lint",
                "",
                f"mkdir -p {REPORT_DIR} && npx eslint . --format json --output-file {report}",
                [(report, "eslint")],
                [
                    f"eslint is configured ({eslint_cfg}): its JSON gives lint.errors and",
                    "lint.warnings. eslint exits 1 on errors: allow_failure leaves the verdict",
                    "to the gates (a run that writes no report still fails them).",
                ],
                stage="checks",
                allow_failure=True,
            )
        )
    gitleaks_cfg = _first_file(d, ".gitleaks.toml", "gitleaks.toml")
    if gitleaks_cfg:
        report = f"{REPORT_DIR}/gitleaks.json"
        out.append(
            Suite(
                "gitleaks",
                "security",
                "",
                "gitleaks detect --no-banner --redact --exit-code 0 --report-format json "
                f"--report-path {report}",
                [(report, "gitleaks")],
                [f"gitleaks is configured ({gitleaks_cfg}): its report gives secrets.count."],
                stage="checks",
            )
        )
    semgrep_cfg = _first_file(d, ".semgrep.yml", ".semgrep.yaml", ".semgrep")
    if semgrep_cfg:
        report = f"{REPORT_DIR}/semgrep.sarif"
        out.append(
            Suite(
                "semgrep",
                "security",
                "",
                f"semgrep scan --config {semgrep_cfg} --sarif --output {report}",
                [(report, "sarif")],
                [f"semgrep is configured ({semgrep_cfg}): its SARIF gives security.* counts."],
                stage="checks",
            )
        )
    if (d / ".secrets.baseline").is_file():
        report = f"{REPORT_DIR}/detect-secrets.json"
        out.append(
            Suite(
                "detect-secrets",
                "security",
                "",
                f"mkdir -p {REPORT_DIR} && detect-secrets scan > {report}",
                [(report, "detect-secrets")],
                ["detect-secrets is set up (.secrets.baseline): its scan gives secrets.count."],
                stage="checks",
            )
        )
    hadolint_cfg = _first_file(d, ".hadolint.yaml", ".hadolint.yml")
    if hadolint_cfg and (d / "Dockerfile").is_file():
        report = f"{REPORT_DIR}/hadolint.json"
        out.append(
            Suite(
                "hadolint",
                "lint",
                "",
                f"mkdir -p {REPORT_DIR} && hadolint --no-fail -f json Dockerfile > {report}",
                [(report, "hadolint")],
                [f"hadolint is configured ({hadolint_cfg}): its JSON gives lint.* counts."],
                stage="checks",
            )
        )
    return out


def detect_checks(root: Path) -> list[Suite]:
    """The lint and security steps for what the repository (and its packages) configure."""
    checks: list[Suite] = []
    for d in _candidate_dirs(root):
        rel = d.relative_to(root).as_posix() if d != root else ""
        for check in _checks_in(d):
            if rel:
                check.directory = rel
                check.name = f"{rel.replace('/', '-')}-{check.name}"
            checks.append(check)
    return checks


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
    tests = [s for s in suites if s.stage == "test"]
    checks = [s for s in suites if s.stage == "checks"]
    if not tests:
        out += [
            "        # No pytest project, package.json or go.mod was found: replace this",
            "        # step with your own test command and the reports it writes.",
            "        - name: tests",
            '          run: echo "replace me with your test command"',
            "          reports: []",
        ]
    out += _steps(tests)
    if checks:
        out += [
            "",
            "    # Lint and security tools this repository already configures. The stage runs",
            "    # beside the tests (no depends_on); gates on lint.*, security.* and",
            "    # secrets.count decide what their findings mean (see docs/gates.md).",
            "    - name: checks",
            "      steps:",
        ]
        out += _steps(checks)
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


def _steps(suites: list[Suite]) -> list[str]:
    out: list[str] = []
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
        if s.allow_failure:
            out.append("          allow_failure: true")
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
    return out
