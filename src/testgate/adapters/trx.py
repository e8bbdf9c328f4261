"""Visual Studio TRX (``dotnet test --logger trx``, vstest, MSTest, xUnit/NUnit via vstest).

A TRX file lists ``<UnitTestResult>`` elements (outcome, duration, error message and stack
trace) and, separately, ``<UnitTest>`` definitions that give each test's class and assembly;
the two are joined by ``testId``. Data-driven tests hold their rows as ``<InnerResults>``;
they are counted as the file's own ``ResultSummary/Counters`` count them: when ``total`` is the
number of top-level results, a data-driven test is one test (its outcome the parent's, its
message the first failed row's); when ``total`` counts the rows, the rows are the tests.
Repeated entries of one test are attempts of one test (:mod:`testgate.adapters._attempts`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._attempts import merge_repeated
from testgate.adapters._xml import child_text, iterparse, local
from testgate.errors import InputError
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

__all__ = ["ADAPTERS", "TrxAdapter", "parse_timespan"]

_OUTCOMES: dict[str, TestStatus] = {
    "passed": "passed",
    "passedbutrunaborted": "passed",
    "completed": "passed",
    "warning": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "error",
    "aborted": "error",
    "disconnected": "error",
    "notexecuted": "skipped",
    "notrunnable": "skipped",
    "inconclusive": "skipped",
    "pending": "skipped",
    "inprogress": "skipped",
}

_TIMESPAN = re.compile(r"^\s*(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)\s*$")


def parse_timespan(raw: str | None) -> float:
    """Seconds from a .NET TimeSpan (``00:00:01.2345678``, ``1.02:03:04``); 0.0 if unusable."""
    if not raw:
        return 0.0
    m = _TIMESPAN.match(raw)
    if not m:
        return 0.0
    days, hours, minutes, seconds = m.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


_Result = tuple[str, str, TestStatus, float, "str | None", "str | None"]


def _result(elem: Any) -> _Result:
    outcome = (elem.get("outcome") or "").lower()
    status: TestStatus = _OUTCOMES.get(outcome, "failed" if outcome else "skipped")
    message = child_text(elem, "Output", "ErrorInfo", "Message")
    trace = child_text(elem, "Output", "ErrorInfo", "StackTrace")
    if status == "skipped" and message is None:
        message = child_text(elem, "Output", "StdOut")
    return (
        elem.get("testId") or "",
        elem.get("testName") or "",
        status,
        parse_timespan(elem.get("duration")),
        message,
        trace,
    )


def read_trx(path: Path) -> list[TestCase]:
    # every leaf result (rows included), and the top-level results (a data-driven parent
    # instead of its rows): which list holds the tests is the Counters' call (see below)
    leaves: list[_Result] = []
    tops: list[_Result] = []
    rows: list[_Result] = []  # rows of the data-driven test being read
    definitions: dict[str, tuple[str, str]] = {}  # testId -> (className, storage)
    counted: int | None = None
    seen_root = False
    for _event, elem in iterparse(path, ("end",)):
        tag = local(elem.tag)
        if tag == "UnitTestResult":
            parent = elem.getparent()
            nested = parent is not None and local(parent.tag) == "InnerResults"
            has_inner = any(local(c.tag) == "InnerResults" and len(c) for c in elem)
            # a data-driven test's rows (inside <InnerResults>) end before their parent
            if has_inner:
                top = _result(elem)
                if top[4] is None:  # the parent's message: the first failed row's
                    bad = next((r for r in rows if r[2] in ("failed", "error")), None)
                    if bad is not None:
                        top = (*top[:4], bad[4], bad[5])
                rows = []
                if not nested:
                    tops.append(top)
            else:
                leaf = _result(elem)
                leaves.append(leaf)
                if nested:
                    rows.append(leaf)
                else:
                    tops.append(leaf)
            if not nested:
                elem.clear()
        elif tag == "Counters":
            try:
                counted = int(elem.get("total") or "")
            except ValueError:
                counted = None
        elif tag == "UnitTest":
            cls = ""
            for child in elem:
                if local(child.tag) == "TestMethod":
                    cls = child.get("className") or ""
                    break
            storage = elem.get("storage") or ""
            definitions[elem.get("id") or ""] = (cls, storage)
            elem.clear()
        elif tag == "TestRun":
            seen_root = True
    if not seen_root:
        raise InputError(f"{path}:1: not a TRX report (no <TestRun> root element)")
    # the file's own total says whether a data-driven test is one test or one per row
    results = tops if counted == len(tops) and counted != len(leaves) else leaves
    tests: list[TestCase] = []
    report = str(path)
    for test_id, name, status, duration, message, trace in results:
        cls, storage = definitions.get(test_id, ("", ""))
        # the class name TRX stores may carry the assembly (", Tests, Version=...")
        cls = cls.split(",", 1)[0].strip()
        suite = Path(storage.replace("\\", "/")).name if storage else cls
        tests.append(
            TestCase(
                suite=suite,
                classname=cls,
                name=name,
                status=status,
                duration_s=duration,
                message=bounded(message, MAX_MESSAGE_CHARS),
                trace=bounded(trace, MAX_TRACE_CHARS),
                report=report,
            )
        )
    return merge_repeated(tests)


class TrxAdapter:
    """Visual Studio TRX."""

    name = "trx"
    kind = "tests"
    description = "Visual Studio TRX test results (dotnet test --logger trx, vstest, MSTest)"

    def sniff(self, head: str, path: Path) -> int:
        if "<TestRun" in head and "TeamTest" in head:
            return 95
        if "<TestRun" in head and ("<Results" in head or "<ResultSummary" in head):
            return 80
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_trx(path))


ADAPTERS: list[Any] = [TrxAdapter()]
