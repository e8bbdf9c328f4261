"""Small runs for gate tests, built from the model the adapters fill."""

from __future__ import annotations

from typing import Any

import yaml

from testgate.model import FileCoverage, Finding, Run, StepResult, TestCase


def make_run(
    *,
    passed: int = 3,
    failed: list[tuple[str, str]] | None = None,
    coverage: dict[str, dict[int, int]] | None = None,
    findings: list[Finding] | None = None,
    metrics: dict[str, float] | None = None,
    run_id: str = "run-1",
    step: str | None = None,
    steps: list[StepResult] | None = None,
) -> Run:
    run = Run(id=run_id)
    run.tests = [TestCase("suite", "tests.test_ok", f"test_{i}", step=step) for i in range(passed)]
    for name, message in failed or []:
        run.tests.append(
            TestCase("suite", "tests.test_bad", name, status="failed", message=message, step=step)
        )
    for path, lines in (coverage or {}).items():
        run.coverage.add(FileCoverage(path, dict(lines)))
    run.findings = list(findings or [])
    run.steps = list(steps or [])
    run.metrics.update(metrics or {})
    run.finalize()
    return run


def gates_yaml(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data
