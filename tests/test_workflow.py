"""The spine's functions, each alone: the exit code is decided once, from what happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate import workflow
from testgate.errors import ExitCode
from testgate.model import Run, StepResult, TestCase
from testgate.verdict import Verdict


def _execution(
    *,
    step: str = "passed",
    test: str = "passed",
    interrupted: bool = False,
    report_errors: tuple[str, ...] = (),
    allow: bool = False,
) -> workflow.Execution:
    run = Run(id="r", interrupted=interrupted)
    run.steps = [StepResult("unit", "pytest", step)]
    run.tests = [TestCase("s", "c", "t", test, step="unit/pytest")]
    run.finalize()
    return workflow.Execution(
        run=run,
        run_dir=Path("."),
        report_errors=list(report_errors),
        allow_failure={"unit/pytest": allow},
        pipeline=object(),  # type: ignore[arg-type]  # a pipeline ran
    )


def _verdict(passed: bool) -> Verdict:
    return Verdict(passed=passed, results=[], gates={}, blocking={})


@pytest.mark.parametrize(
    ("execution", "verdict", "persist_errors", "expected"),
    [
        (_execution(), None, [], ExitCode.OK),
        (_execution(step="failed"), None, [], ExitCode.TESTS_FAILED),
        (_execution(test="error"), None, [], ExitCode.TESTS_FAILED),
        (_execution(step="failed"), _verdict(False), [], ExitCode.GATE_FAILED),
        (_execution(), _verdict(False), ["store locked"], ExitCode.USAGE_ERROR),
        (_execution(interrupted=True), _verdict(False), [], ExitCode.INTERRUPTED),
        (_execution(report_errors=("bad.xml",)), None, [], ExitCode.USAGE_ERROR),
        (_execution(step="failed", test="failed", allow=True), None, [], ExitCode.OK),
        (_execution(), _verdict(True), [], ExitCode.OK),
    ],
)
def test_exit_code_precedence(
    execution: workflow.Execution,
    verdict: Verdict | None,
    persist_errors: list[str],
    expected: ExitCode,
) -> None:
    persisted = workflow.Persisted(errors=persist_errors)
    assert workflow.exit_code(execution, verdict, persisted) == expected


def test_the_final_word_never_says_passed_for_a_failing_exit_code() -> None:
    assert workflow.final_word(ExitCode.OK) == "PASSED"
    for code in (1, 2, 3, 4, 130):
        assert "PASSED" not in workflow.final_word(code)
