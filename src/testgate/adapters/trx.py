"""Visual Studio TRX (``dotnet test --logger trx``, vstest, MSTest, xUnit/NUnit via vstest).

A TRX file lists ``<UnitTestResult>`` elements (outcome, duration, error message and stack
trace) and, separately, ``<UnitTest>`` definitions that give each test's class and assembly;
the two are joined by ``testId``. Data-driven tests hold their rows as ``<InnerResults>``;
the rows are the tests then, not the parent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._xml import child_text, iterparse, local
from testgate.errors import InputError
from testgate.model import MAX_MESSAGE_CHARS, MAX_TRACE_CHARS, ReportData, TestCase, bounded

if TYPE_CHECKING:
    from testgate.adapters.registry import ReadContext

__all__ = ["ADAPTERS", "TrxAdapter", "parse_timespan"]

_OUTCOMES = {
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


def read_trx(path: Path) -> list[TestCase]:
    results: list[tuple[str, str, str, float, str | None, str | None]] = []
    definitions: dict[str, tuple[str, str]] = {}  # testId -> (className, storage)
    seen_root = False
    for _event, elem in iterparse(path, ("end",)):
        tag = local(elem.tag)
        if tag == "UnitTestResult":
            # a data-driven test's rows (inside <InnerResults>) end before their parent: the
            # rows are the tests, the parent only sums them up
            has_inner = any(local(c.tag) == "InnerResults" and len(c) for c in elem)
            if not has_inner:
                outcome = (elem.get("outcome") or "").lower()
                status = _OUTCOMES.get(outcome, "failed" if outcome else "skipped")
                message = child_text(elem, "Output", "ErrorInfo", "Message")
                trace = child_text(elem, "Output", "ErrorInfo", "StackTrace")
                if status == "skipped" and message is None:
                    message = child_text(elem, "Output", "StdOut")
                results.append(
                    (
                        elem.get("testId") or "",
                        elem.get("testName") or "",
                        status,
                        parse_timespan(elem.get("duration")),
                        message,
                        trace,
                    )
                )
            parent = elem.getparent()
            if parent is None or local(parent.tag) != "InnerResults":
                elem.clear()
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
    return tests


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
