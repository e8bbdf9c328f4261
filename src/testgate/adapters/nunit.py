"""NUnit XML: NUnit 3 ``<test-run>`` (nunit3-console, NUnit3TestAdapter) and NUnit 2
``<test-results>``.

Tests are the ``<test-case>`` elements; the innermost ``<test-suite>`` (a fixture) names the
suite. NUnit 3 states the outcome as ``result`` plus a ``label`` (``Failed``/``Error`` is an
error, ``Skipped``/``Ignored`` a skip); NUnit 2 as ``result`` (``Success``, ``Failure``,
``Error``, ``Ignored``, ``NotRunnable``...) with ``executed``. NUnit 2.0 to 2.4 write no
``result`` at all: ``executed`` and ``success`` say it (``success="False"`` with a ``<failure>``
child is a failure). ``NotRunnable`` (NUnit 2.5's "invalid") counts as not run, as NUnit's own
``not-run`` total does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._attempts import merge_repeated
from testgate.adapters._xml import child_text, iterparse, local
from testgate.adapters.junit import parse_time
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

__all__ = ["ADAPTERS", "NUnitAdapter"]

_NUNIT2: dict[str, TestStatus] = {
    "success": "passed",
    "failure": "failed",
    "error": "error",
    "cancelled": "error",
    "ignored": "skipped",
    "skipped": "skipped",
    "notrunnable": "skipped",
    "inconclusive": "skipped",
}


def _status(
    result: str | None, label: str | None, executed: str | None, success: str | None = None
) -> TestStatus:
    r = (result or "").lower()
    if not r:
        # NUnit 2.0-2.4: no result attribute, only executed= and success=
        if executed is not None and executed.lower() == "false":
            return "skipped"
        if success is not None:
            return "failed" if success.lower() == "false" else "passed"
    lab = (label or "").lower()
    if r == "passed":
        return "passed"
    if r == "failed":
        return "error" if lab in ("error", "cancelled", "invalid") else "failed"
    if r in ("skipped", "inconclusive"):
        return "skipped"
    if r == "warning":
        return "passed"
    if r in _NUNIT2:
        return _NUNIT2[r]
    if executed is not None and executed.lower() == "false":
        return "skipped"
    return "passed" if not r else "failed"


def read_nunit(path: Path) -> list[TestCase]:
    tests: list[TestCase] = []
    suites: list[str] = []
    report = str(path)
    root: str | None = None
    for event, elem in iterparse(path, ("start", "end")):
        tag = local(elem.tag)
        if event == "start":
            if root is None:
                root = tag
            if tag == "test-suite":
                suites.append(elem.get("name") or "")
            continue
        if tag == "test-suite":
            suites.pop()
            elem.clear()
        elif tag == "test-case":
            status = _status(
                elem.get("result"), elem.get("label"), elem.get("executed"), elem.get("success")
            )
            message = child_text(elem, "failure", "message") or child_text(
                elem, "reason", "message"
            )
            trace = child_text(elem, "failure", "stack-trace")
            full = elem.get("fullname") or elem.get("name") or ""
            name = elem.get("name") or full
            classname = elem.get("classname") or ""
            if not classname and "." in full:
                # NUnit 2 names a case by its full name: Namespace.Class.Method(args)
                base = full.split("(", 1)[0]
                classname = base.rsplit(".", 1)[0]
                name = full[len(classname) + 1 :] if full.startswith(classname + ".") else full
            # NUnit 3 says duration=, NUnit 2 time=
            duration = parse_time(elem.get("duration") or elem.get("time"))
            tests.append(
                TestCase(
                    suite=next((s for s in reversed(suites) if s), ""),
                    classname=classname,
                    name=name,
                    status=status,
                    duration_s=duration,
                    message=bounded(message, MAX_MESSAGE_CHARS),
                    trace=bounded(trace, MAX_TRACE_CHARS),
                    report=report,
                )
            )
            elem.clear()
    if root not in ("test-run", "test-results"):
        raise InputError(
            f"{path}:1: not an NUnit XML report (root <{root}>, expected <test-run> or "
            "<test-results>)"
        )
    return merge_repeated(tests)


class NUnitAdapter:
    """NUnit 3 (and NUnit 2) XML."""

    name = "nunit"
    kind = "tests"
    description = "NUnit 3 XML (<test-run>, nunit3-console, NUnit3TestAdapter) and NUnit 2 XML"

    def sniff(self, head: str, path: Path) -> int:
        if "<test-run" in head and "<test-" in head:
            return 90
        if "<test-results" in head and "<test-suite" in head:
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_nunit(path))


ADAPTERS: list[Any] = [NUnitAdapter()]
