"""A history of recorded runs for dashboard tests."""

from __future__ import annotations

from pathlib import Path

from testgate.history.store import HistoryStore, open_store
from testgate.model import ReportData, ReportRef, Run, StepResult, TestCase

from ..report._runs import XSS_MESSAGE, XSS_NAME


def make_run(i: int, *, fail_xss: bool) -> Run:
    run = Run(
        id=f"run-{i:02d}",
        project="shop",
        started_at=f"2026-01-{i + 1:02d}T10:00:00+00:00",
        finished_at=f"2026-01-{i + 1:02d}T10:01:{10 + i:02d}+00:00",
    )
    run.vcs.branch = "main"
    run.vcs.commit = f"{i:040x}"
    tests = [TestCase("api", "tests.test_cart", f"test_{k}", duration_s=0.1 * k) for k in range(10)]
    tests.append(
        TestCase(
            "api",
            "tests.test_cart",
            XSS_NAME,
            status="failed" if fail_xss else "passed",
            message=XSS_MESSAGE if fail_xss else None,
            duration_s=0.5,
        )
    )
    tests.append(
        TestCase(
            "api",
            "tests.test_cart",
            "test_wobbly",
            status="failed" if i % 3 == 0 else "passed",
            message="AssertionError: wobble" if i % 3 == 0 else None,
        )
    )
    run.absorb(
        ReportData(tests=tests), ReportRef("junit.xml", "junit", "tests", step="unit/pytest")
    )
    run.steps.append(
        StepResult(
            "unit",
            "pytest",
            "failed" if fail_xss else "passed",
            exit_code=1 if fail_xss else 0,
            duration_s=60.0 + i,
        )
    )
    run.finalize()
    return run


def recorded_history(tmp: Path, n: int = 8, url: str | None = None) -> HistoryStore:
    store = open_store(url or f"sqlite:///{tmp / 'history.db'}")
    for i in range(n):
        store.record(make_run(i, fail_xss=(i == n - 1)))
    return store


def branched_history(tmp: Path, url: str | None = None) -> HistoryStore:
    """Eight runs on main (two suites, a wobbly test, a quarantined one, an outage mark) and
    three on a feature branch; an incident against main's sixth commit."""
    from testgate.history.incidents import record_incident

    store = recorded_history(tmp, url=url)
    for i in range(3):
        run = make_run(20 + i, fail_xss=False)
        run.id = f"feat-{i}"
        run.vcs.branch = "feature/x"
        run.absorb(
            ReportData(tests=[TestCase("ui", "tests.test_page", "test_render", status="failed")]),
            ReportRef("ui.xml", "junit", "tests", step="ui/jest"),
        )
        run.finalize()
        store.record(run)
    store.mark_run("run-03", "outage", {"reason": "registry down"})
    record_incident(
        store,
        commit=f"{5:040x}",
        incident_id="BUG-1",
        component="api",
        reported_at="2026-01-07T10:00:00+00:00",
    )
    return store
