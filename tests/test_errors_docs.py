"""Every error slug has its section in docs/errors.md, and the exit-code table of the docs is
generated from ExitCode: docs/errors.md, docs/cli-run.md and docs/gates.md show the same one."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from testgate.errors import ExitCode, exit_code_table

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "testgate"
ERRORS = REPO / "docs" / "errors.md"


def _slugs() -> dict[str, str]:
    """Every slug testgate can attach to an error: ``slug="..."`` keyword arguments and the
    defaults of ``slug`` parameters, with where they are."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.keyword)
                and node.arg == "slug"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.setdefault(node.value.value, where)
            if isinstance(node, ast.arguments):
                args = node.args + node.kwonlyargs
                defaults = [None] * (len(node.args) - len(node.defaults)) + list(node.defaults)
                defaults += list(node.kw_defaults)
                for arg, default in zip(args, defaults, strict=True):
                    if (
                        arg.arg == "slug"
                        and isinstance(default, ast.Constant)
                        and isinstance(default.value, str)
                    ):
                        found.setdefault(default.value, where)
    return found


def test_the_source_uses_slugs() -> None:
    slugs = _slugs()
    assert {"config-invalid", "gate-config", "history-db", "plugin-invalid"} <= set(slugs)


def test_every_error_slug_has_its_section_in_the_docs() -> None:
    sections = set(re.findall(r"^## (\S+)$", ERRORS.read_text(encoding="utf-8"), re.M))
    missing = {slug: where for slug, where in _slugs().items() if slug not in sections}
    assert missing == {}, "add a '## SLUG' section to docs/errors.md for each: " + ", ".join(
        f"{s} (used at {w})" for s, w in sorted(missing.items())
    )


def test_the_exit_code_table_is_generated_from_exitcode_and_the_same_everywhere() -> None:
    table = exit_code_table()
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}` |" in table
    for page in ("errors.md", "cli-run.md", "gates.md"):
        text = (REPO / "docs" / page).read_text(encoding="utf-8")
        assert f"\n{table}\n" in text, f"docs/{page}: run scripts/gen_exit_codes.py"
    check = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_exit_codes.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_documented_precedence_is_the_one_exit_code_applies() -> None:
    from testgate import workflow
    from testgate.errors import EXIT_CODE_PRECEDENCE
    from testgate.model import Run, StepResult
    from testgate.pipeline.runner import PipelineOutcome
    from testgate.verdict import Verdict

    failing = Verdict(passed=False, results=[], gates={}, blocking={})

    def execution(*, interrupted: bool = False, failed: bool = False) -> workflow.Execution:
        run = Run(id="r", interrupted=interrupted)
        if failed:
            run.steps.append(StepResult("test", "unit", "failed", exit_code=1))
        return workflow.Execution(run=run, pipeline=PipelineOutcome.__new__(PipelineOutcome))

    every = workflow.exit_code(
        execution(interrupted=True, failed=True), failing, errors=["a config error"]
    )
    assert every == EXIT_CODE_PRECEDENCE[0]
    assert (
        workflow.exit_code(execution(failed=True), failing, errors=["x"])
        == (EXIT_CODE_PRECEDENCE[1])
    )
    assert workflow.exit_code(execution(failed=True), failing) == EXIT_CODE_PRECEDENCE[2]
    assert workflow.exit_code(execution(failed=True)) == EXIT_CODE_PRECEDENCE[3]
    assert workflow.exit_code(execution()) == ExitCode.OK
