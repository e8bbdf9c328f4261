"""The command that reproduces one failing test on a developer's machine.

The runner is read from the step's command (``pytest``, ``jest``, ``vitest``, ``node --test``,
``go test``, ``mocha``) or, for a run made elsewhere, from the test's own identity.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from testgate.model import TestCase

__all__ = ["pytest_nodeid", "reproduce"]

_PY_EXT = ".py"
_JS_EXT = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")


def _q(text: str) -> str:
    return shlex.quote(text)


def pytest_nodeid(test: TestCase, root: Path | None = None) -> str | None:
    """The pytest node id of *test* (``tests/test_x.py::TestA::test_b[1]``), when it can be
    told from the file, the class name pytest's JUnit writes, or the test id."""
    tid = test.id
    head = tid.split("::", 1)[0]
    if head.endswith(_PY_EXT):
        return tid
    if test.file and test.file.endswith(_PY_EXT):
        cls = test.classname or ""
        mod = test.file[: -len(_PY_EXT)].replace("/", ".")
        rest = cls[len(mod) + 1 :] if cls.startswith(mod + ".") else ""
        parts = [test.file, *([p for p in rest.split(".") if p]), test.name]
        return "::".join(parts)
    cls = test.classname or ""
    if not cls:
        return None
    # pytest's JUnit class name: "tests.unit.test_stock" or "tests.unit.test_stock.TestX";
    # the longest prefix that is a file in the repository is the module
    pieces = cls.split(".")
    for cut in range(len(pieces), 0, -1):
        path = "/".join(pieces[:cut]) + _PY_EXT
        if root is None or (root / path).is_file():
            if root is None and cut != len(pieces) and not pieces[cut - 1].startswith("test"):
                continue
            return "::".join([path, *pieces[cut:], test.name])
    return None


def _runner(command: str | None, test: TestCase) -> str:
    cmd = (command or "").lower()
    for name, rx in (
        ("pytest", r"\bpytest\b|-m pytest"),
        ("vitest", r"\bvitest\b"),
        ("jest", r"\bjest\b|react-scripts test"),
        ("node", r"\bnode\b.*--test\b"),
        ("go", r"\bgo test\b|\bgotestsum\b"),
        ("mocha", r"\bmocha\b"),
        ("cargo", r"\bcargo (?:test|nextest)\b"),
    ):
        if re.search(rx, cmd):
            return name
    head = test.id.split("::", 1)[0]
    if head.endswith(_PY_EXT) or (test.file or "").endswith(_PY_EXT):
        return "pytest"
    if re.match(r"^[a-z_][\w.]*\.test_\w+$|^tests?\.", test.classname or ""):
        return "pytest"
    if head.endswith(_JS_EXT) or (test.file or "").endswith(_JS_EXT):
        return "jest"
    if (test.name or "").startswith("Test") and "/" in (test.classname or ""):
        return "go"
    return ""


def reproduce(test: TestCase, command: str | None = None, root: Path | None = None) -> str:
    """A shell command that runs only *test* (or, when its runner has no per-test filter that
    testgate knows, the step's whole command)."""
    runner = _runner(command, test)
    name = test.name or ""
    if runner == "pytest":
        node = pytest_nodeid(test, root)
        if node:
            return f"python -m pytest {_q(node)}"
        base = re.sub(r"[\[(].*$", "", name)
        return f"python -m pytest -k {_q(base)}"
    file = test.file or (test.id.split("::", 1)[0] if "::" in test.id else "")
    if runner in ("jest", "vitest"):
        tool = "npx jest" if runner == "jest" else "npx vitest run"
        where = f" {_q(file)}" if file.endswith(_JS_EXT) else ""
        full = (
            f"{test.classname} {name}".strip() if test.classname and " " in test.classname else name
        )
        return f"{tool}{where} -t {_q(re.escape(full))}"
    if runner == "node":
        where = f" {_q(file)}" if file.endswith(_JS_EXT) else ""
        return f"node --test --test-name-pattern={_q(re.escape(name))}{where}"
    if runner == "mocha":
        return f"npx mocha --grep {_q(re.escape(name))}"
    if runner == "go":
        pkg = test.classname or "./..."
        top = name.split("/", 1)[0]
        return f"go test -run {_q('^' + re.escape(top) + '$')} {_q(pkg)}"
    if runner == "cargo":
        return f"cargo test {_q(name)} -- --exact"
    if command:
        return command
    return f"# no command known to run {test.id} alone"
