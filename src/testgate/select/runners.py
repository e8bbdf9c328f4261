"""Which test runner a step runs, and how to narrow its command to some tests.

- pytest: the step runs whole; testgate's pytest plugin deselects and orders through a plan
  file (``PlannedStep.pytest_plan``), so the command is never rewritten;
- jest: ``--findRelatedTests <changed files>`` is appended (jest follows its own module graph);
- ``node --test`` and ``go test``: the file or package arguments are replaced by the changed
  test files (node) or the packages of the changed test files (go), when only test files
  changed; any other change runs the step whole.

A command joined with shell operators (``&&``, ``|``, ``;``) is never rewritten: the step runs
whole and ``--explain`` says why.
"""

from __future__ import annotations

import posixpath
import re
import shlex

__all__ = [
    "GO_TEST_FILE",
    "JS_SOURCE",
    "NODE_TEST_FILE",
    "narrow_go",
    "narrow_jest",
    "narrow_node",
    "runner_of",
]

_SHELL_OPS = re.compile(r"(&&|\|\||[|;<>`]|\$\()")
JS_SOURCE = re.compile(r"\.(?:[cm]?[jt]sx?)$")
NODE_TEST_FILE = re.compile(
    r"(?:^|/)(?:test|tests|__tests__)/.*\.[cm]?[jt]s$|(?:^|/)[^/]*[.\-_]test\.[cm]?[jt]s$|"
    r"(?:^|/)test\.[cm]?[jt]s$|(?:^|/)test-[^/]*\.[cm]?[jt]s$"
)
GO_TEST_FILE = re.compile(r"_test\.go$")

# node options that take a separate value (the rest are flags or --opt=value)
_NODE_VALUE_OPTS = {
    "--test-reporter",
    "--test-reporter-destination",
    "--test-name-pattern",
    "--test-skip-pattern",
    "--test-concurrency",
    "--test-timeout",
    "--test-shard",
    "--import",
    "--require",
    "-r",
    "--loader",
    "--experimental-loader",
    "--env-file",
}
_GO_VALUE_OPTS = {
    "-run",
    "-skip",
    "-timeout",
    "-count",
    "-coverprofile",
    "-covermode",
    "-coverpkg",
    "-tags",
    "-p",
    "-parallel",
    "-cpu",
    "-bench",
    "-benchtime",
    "-o",
    "-exec",
    "-shuffle",
    "-failfast",
}


def _argv(command: str | list[str]) -> list[str] | None:
    if isinstance(command, list):
        return list(command)
    if _SHELL_OPS.search(command):
        return None
    try:
        return shlex.split(command)
    except ValueError:
        return None


def runner_of(command: str | list[str]) -> str:
    """``pytest``, ``jest``, ``node``, ``go`` or ``other``, from the command's words."""
    text = command if isinstance(command, str) else " ".join(command)
    words = re.split(r"[\s/]+", text)
    if "pytest" in words or "py.test" in words or re.search(r"-m\s+pytest\b", text):
        return "pytest"
    if "jest" in words or re.search(r"\bjest(?:\.js)?\b", text):
        return "jest"
    if re.search(r"\bnode\b.*\s--test\b", text):
        return "node"
    if re.search(r"\bgo\s+test\b", text):
        return "go"
    return "other"


def narrow_jest(command: str | list[str], files: list[str]) -> str | list[str]:
    """*command* with ``--findRelatedTests FILE...`` appended (paths relative to its cwd)."""
    extra = ["--findRelatedTests", *files]
    if isinstance(command, list):
        return [*command, *extra]
    return f"{command} {shlex.join(extra)}"


def _positional(argv: list[str], start: int, value_opts: set[str]) -> list[int]:
    out: list[int] = []
    i = start
    while i < len(argv):
        a = argv[i]
        if a == "--":
            out.extend(range(i + 1, len(argv)))
            break
        if a.startswith("-"):
            if a in value_opts:
                i += 1
        else:
            out.append(i)
        i += 1
    return out


def _rewrite(
    command: str | list[str], argv: list[str], keep_until: int, positions: list[int], new: list[str]
) -> str | list[str]:
    drop = set(positions)
    rest = [a for i, a in enumerate(argv) if i >= keep_until and i not in drop]
    out = [*argv[:keep_until], *rest, *new]
    return out if isinstance(command, list) else shlex.join(out)


def narrow_node(command: str | list[str], test_files: list[str]) -> str | list[str] | None:
    """``node --test`` run on *test_files* only (replacing its path arguments); None when the
    command cannot be rewritten safely."""
    argv = _argv(command)
    if argv is None or "--test" not in argv:
        return None
    try:
        start = next(i for i, a in enumerate(argv) if posixpath.basename(a) == "node") + 1
    except StopIteration:
        return None
    positions = _positional(argv, start, _NODE_VALUE_OPTS)
    return _rewrite(command, argv, start, positions, test_files)


def narrow_go(command: str | list[str], packages: list[str]) -> str | list[str] | None:
    """``go test`` run on *packages* only (``./a/b``), replacing its package arguments; None
    when the command cannot be rewritten safely."""
    argv = _argv(command)
    if argv is None:
        return None
    try:
        start = next(i for i in range(len(argv) - 1) if argv[i] == "go" and argv[i + 1] == "test")
    except StopIteration:
        return None
    positions = _positional(argv, start + 2, _GO_VALUE_OPTS)
    return _rewrite(command, argv, start + 2, positions, packages)
