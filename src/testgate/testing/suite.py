"""``run_test_suite(name, tests)``: seed 000's ``runTestSuite`` in Python.

.. code-block:: python

    from testgate.testing import run_test_suite

    result = run_test_suite("Security Tests", {
        "sql-injection-protection": check_sqli,
        "xss-protection": check_xss,
    })
    assert result.failed == 0, result.failures

Each test is a callable taking no argument (a coroutine function is run with ``asyncio``); it
passes when it returns, fails when it raises. Every test runs, whatever the others do.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Failure", "SuiteResult", "run_test_suite"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed test: its name, the exception and its formatted traceback."""

    name: str
    error: BaseException
    trace: str

    def __str__(self) -> str:
        return f"{self.name}: {type(self.error).__name__}: {self.error}"


@dataclass(slots=True)
class SuiteResult:
    """What :func:`run_test_suite` did."""

    name: str
    passed: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        """``Security Tests: 2 passed, 1 failed`` (the closing line CI reads)."""
        return f"{self.name}: {self.passed} passed, {self.failed} failed"


def _call(fn: Callable[[], Any]) -> None:
    result = fn()
    if not inspect.isawaitable(result):
        return
    awaitable = result

    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(wait())
        return
    # called from inside a running event loop (an async test, a notebook): a loop of its own
    # in a worker thread, so that the caller's loop is neither blocked nor re-entered
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(wait())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=runner, name="run_test_suite")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def run_test_suite(
    name: str,
    tests: Mapping[str, Callable[[], Any]] | Iterable[tuple[str, Callable[[], Any]]],
    *,
    out: TextIO | None = sys.stdout,
) -> SuiteResult:
    """Run every test of *tests* (a mapping or ``(name, callable)`` pairs) and return the
    counts and failures; prints one line per test and the summary to *out* (None: silent).

    ``KeyboardInterrupt`` and ``SystemExit`` are not failures: they stop the suite.
    """
    items = list(tests.items()) if isinstance(tests, Mapping) else list(tests)
    result = SuiteResult(name)
    for test_name, fn in items:
        t0 = time.perf_counter()
        try:
            _call(fn)
        except Exception as exc:  # a test that raises fails; the suite goes on
            result.failed += 1
            result.failures.append(Failure(test_name, exc, traceback.format_exc()))
            line = f"FAIL {test_name}: {type(exc).__name__}: {exc}"
        else:
            result.passed += 1
            line = f"ok   {test_name}"
        result.durations[test_name] = time.perf_counter() - t0
        if out is not None:
            print(line, file=out)
    if out is not None:
        print(result.summary(), file=out)
    return result
