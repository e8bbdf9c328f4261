"""Several entries of one test id in one report are attempts of one test: the one place that
merges them.

Producers repeat a test in one report when they run it again: pytest-rerunfailures writes one
``<testcase>`` per attempt (the earlier attempts with no child element at all), gotestsum
``--rerun-fails`` appends the reruns after the first run, a data-driven runner may repeat an id,
and pytest writes a failed test whose teardown also failed as a ``<failure>`` entry followed by
an ``<error>`` entry. Every test reader hands such pairs to :func:`merge_attempt`, so that
``tests.total`` counts each test once whatever the format:

- the **last** attempt's outcome is the test's status;
- a test that passed in the end after a failed attempt is **flaky**; one that passed every
  time it ran (``go test -count=2``) is not. pytest-rerunfailures writes its failed attempts
  without their failure: the JUnit reader knows them as reruns from the suite's own count and
  hands them over as failed attempts;
- a failed test keeps its failure's message and trace; a flaky one keeps the first failure's;
- ``attempts`` and ``duration_s`` add up;
- pytest's teardown error (``failed on teardown with "..."``) after a failed attempt is part of
  that attempt: the test stays failed with its failure's message and trace, the teardown error
  is kept beside them in :attr:`~testgate.model.TestCase.teardown_error`, and ``attempts`` does
  not grow.
"""

from __future__ import annotations

from testgate.model import MAX_TRACE_CHARS, TestCase, bounded

__all__ = ["TEARDOWN_PREFIX", "identity", "is_teardown_error", "merge_attempt", "merge_repeated"]

#: how pytest's junitxml begins the message of an error in a test's teardown
TEARDOWN_PREFIX = "failed on teardown with "

_BAD = ("failed", "error")


def identity(tc: TestCase) -> tuple[str, str, str, str | None]:
    """What makes two entries of one report the same test: suite, class name, name and file."""
    return (tc.suite, tc.classname, tc.name, tc.file)


def is_teardown_error(tc: TestCase) -> bool:
    """Whether *tc* is pytest's separate entry for an error in a test's teardown."""
    return tc.status == "error" and (tc.message or "").startswith(TEARDOWN_PREFIX)


def merge_attempt(first: TestCase, again: TestCase) -> TestCase:
    """One test from two entries of its id, *again* written after *first*.

    Returns the merged test (one of the two objects, updated); see the module docstring for
    the rules.
    """
    if first.status == "failed" and is_teardown_error(again):
        # the same attempt: pytest reports the call's failure and the teardown's error apart
        text = again.message or ""
        if again.trace:
            text = f"{text}\n{again.trace}" if text else again.trace
        first.teardown_error = bounded(text, MAX_TRACE_CHARS)
        first.duration_s += again.duration_s
        return first
    again.attempts += first.attempts
    again.duration_s += first.duration_s
    if again.status == "passed" and (first.status in _BAD or first.flaky):
        again.flaky = True
        again.message = again.message or first.message
        again.trace = again.trace or first.trace
    return again


def merge_repeated(tests: list[TestCase]) -> list[TestCase]:
    """*tests* with every repeated identity merged into one test at its first position.

    For readers that have the whole list at hand (TRX, NUnit, xUnit.net, go test, jest
    JSON); the streaming JUnit reader merges as it goes with :func:`merge_attempt`.
    """
    index: dict[tuple[str, str, str, str | None], int] = {}
    out: list[TestCase] = []
    for tc in tests:
        key = identity(tc)
        if not tc.name:
            out.append(tc)  # nameless entries cannot be told apart: never merged
            continue
        at = index.get(key)
        if at is None:
            index[key] = len(out)
            out.append(tc)
        else:
            out[at] = merge_attempt(out[at], tc)
    return out
