"""Runs for the renderer tests, including hostile test data."""

from __future__ import annotations

from testgate.model import (
    Coverage,
    FileCoverage,
    Finding,
    ReportData,
    ReportRef,
    Run,
    StepResult,
    TestCase,
)

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_MESSAGE = "expected 1 </script><script>window.__pwned=1;alert(2)</script>"
QUOTED_PATH = 'src/it\'s "quoted"/<b>x</b>.py'


def hostile_run(n_passing: int = 20) -> Run:
    run = Run(
        id="20260101T000000Z-abc123",
        project="shop",
        started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:00:42+00:00",
    )
    run.vcs.branch = "feature/x"
    run.vcs.commit = "0123456789abcdef"
    tests = [
        TestCase("api", "tests.test_api.TestCart", f"test_ok_{i}", duration_s=0.01 * i)
        for i in range(n_passing)
    ]
    tests += [
        TestCase(
            "api",
            "tests.test_api.TestCart",
            XSS_NAME,
            status="failed",
            message=XSS_MESSAGE,
            trace='Traceback (most recent call last):\n  File "t.py", line 3\nAssertionError',
        ),
        TestCase(
            "api",
            "tests.test_api.TestCart",
            "test_checkout_total",
            status="error",
            message="ConnectionRefusedError: [Errno 111]",
            trace="trace two",
        ),
        TestCase("api", "tests.test_api.TestCart", "test_later", status="skipped"),
        TestCase("api", "tests.test_api.TestCart", "test_retry", attempts=2, flaky=True),
    ]
    cov = Coverage()
    cov.add(FileCoverage(QUOTED_PATH, {1: 1, 2: 0, 3: 0, 4: 1}))
    cov.add(FileCoverage("src/cart.py", dict.fromkeys(range(1, 11), 1), {5: (1, 2)}))
    run.absorb(
        ReportData(tests=tests, coverage=cov, metrics={"perf.checkout.p95_ms": 180.0}),
        ReportRef("reports/junit.xml", "junit", "tests", step="unit/pytest"),
    )
    run.findings.append(
        Finding(
            "pip-audit",
            "GHSA-xxxx",
            "high",
            "<script>alert(3)</script> in jinja2",
            category="vulnerability",
            package="jinja2",
            version="2.10",
        )
    )
    run.steps.append(
        StepResult(
            "unit", "pytest", "failed", exit_code=1, duration_s=2.5, log="logs/unit__pytest.log"
        )
    )
    run.finalize()
    return run
