"""jest's own JSON results (``jest --json --outputFile=results.json``; vitest writes the same
shape with ``--reporter=json``).

``testResults[]`` is one entry per test file; its ``assertionResults[]`` are the tests, each with
``ancestorTitles`` (the describe blocks), ``title``, ``status`` (``passed``, ``failed``,
``pending`` for ``test.skip``, ``todo``, ``skipped``, ``disabled``), ``duration`` in
milliseconds, ``failureMessages`` (coloured when jest colours its output: the codes are
stripped) and ``invocations`` (more than one with ``jest.retryTimes``: attempts). A test file that
failed to run at all (a syntax error, a failing import) has no tests and a ``message``: it
becomes one errored test named ``(suite)``, so that it is never lost. The totals equal jest's
``numTotalTests``/``numFailedTests``/``numPassedTests``/``numPendingTests``/``numTodoTests``
(todo and pending are skipped), plus one test per file that failed to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._attempts import merge_repeated
from testgate.adapters._paths import PathNormalizer
from testgate.adapters._static import JsonAdapter, has_keys, json_start, load_json
from testgate.adapters._text import strip_ansi
from testgate.adapters.junit import SUITE_LEVEL_NAME
from testgate.model import (
    MAX_MESSAGE_CHARS,
    MAX_TRACE_CHARS,
    ReportData,
    TestCase,
    TestStatus,
    bounded,
)

if TYPE_CHECKING:
    from testgate.adapters.registry import ReadContext

__all__ = ["ADAPTERS", "JestJsonAdapter", "read_jest_json"]

_STATUS: dict[str, TestStatus] = {
    "passed": "passed",
    "failed": "failed",
    "pending": "skipped",
    "skipped": "skipped",
    "todo": "skipped",
    "disabled": "skipped",
    "focused": "passed",
}

#: jest joins describe blocks and the title with this in its own output
SEPARATOR = " \u203a "


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return None


def read_jest_json(path: Path, ctx: ReadContext) -> list[TestCase]:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("testResults"), list):
        raise JsonAdapter.shape_error(
            path, "not jest JSON results (expected an object with a 'testResults' list)"
        )
    norm = PathNormalizer(ctx.root, tails=False)
    report = str(path)
    tests: list[TestCase] = []
    for i, suite in enumerate(doc["testResults"]):
        if not isinstance(suite, dict):
            raise JsonAdapter.shape_error(path, f"testResults[{i}] is not an object")
        raw_file = suite.get("name") or suite.get("testFilePath")
        file = norm(raw_file) if isinstance(raw_file, str) and raw_file else None
        cases = suite.get("assertionResults") or suite.get("testResults") or []
        if not isinstance(cases, list):
            raise JsonAdapter.shape_error(path, f"testResults[{i}].assertionResults is not a list")
        if not cases:
            text = strip_ansi(str(suite.get("message") or suite.get("failureMessage") or ""))
            if suite.get("status") == "failed" or text.strip():
                tests.append(
                    TestCase(
                        file or "",
                        file or "",
                        SUITE_LEVEL_NAME,
                        "error",
                        file=file,
                        message=bounded(_first_line(text) or "test file failed to run", 4000),
                        trace=bounded(text.strip() or None, MAX_TRACE_CHARS),
                        report=report,
                    )
                )
            continue
        for j, case in enumerate(cases):
            if not isinstance(case, dict):
                raise JsonAdapter.shape_error(
                    path, f"testResults[{i}].assertionResults[{j}] is not an object"
                )
            tests.append(_case(case, file, report))
    return merge_repeated(tests)


def _case(case: dict[str, Any], file: str | None, report: str) -> TestCase:
    status: TestStatus = _STATUS.get(str(case.get("status") or ""), "failed")
    ancestors = [str(a).strip() for a in case.get("ancestorTitles") or [] if str(a).strip()]
    title = str(case.get("title") or case.get("fullName") or "").strip()
    failures = [strip_ansi(str(m)) for m in case.get("failureMessages") or []]
    message = trace = None
    if status == "failed":
        joined = "\n\n".join(m.strip() for m in failures if m.strip())
        message = _first_line(joined) or "failed"
        trace = joined or None
    elif case.get("status") == "todo":
        message = "todo"
    duration = case.get("duration")
    seconds = duration / 1000.0 if isinstance(duration, (int, float)) and duration > 0 else 0.0
    invocations = case.get("invocations")
    attempts = invocations if isinstance(invocations, int) and invocations > 1 else 1
    tc = TestCase(
        file or "",
        SEPARATOR.join(ancestors),
        title,
        status,
        seconds,
        file=file,
        message=bounded(message, MAX_MESSAGE_CHARS),
        trace=bounded(trace, MAX_TRACE_CHARS),
        attempts=attempts,
        # passed after a retry: jest keeps the failed attempts' reasons in retryReasons
        flaky=status == "passed" and attempts > 1,
        report=report,
    )
    return tc


class JestJsonAdapter(JsonAdapter):
    name = "jest-json"
    kind = "tests"
    description = "jest's JSON results (jest --json --outputFile=...; vitest --reporter=json)"

    def sniff(self, head: str, path: Path) -> int:
        if json_start(head) != "{":
            return 0
        if has_keys(head, "numTotalTests", "testResults"):
            return 90
        if has_keys(head, "numTotalTests"):
            return 70  # testResults comes after the counts; a long head may cut it
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_jest_json(path, ctx))


ADAPTERS: list[Any] = [JestJsonAdapter()]
