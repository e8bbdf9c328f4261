"""xUnit.net v2 XML (``dotnet test -- --xml``, ``xunit.console -xml``): ``<assemblies>``, and
xUnit.net v1 (``<assembly>`` root, tests grouped by ``<class>``).

Each ``<test>`` carries ``type`` (the class), ``method``, ``name`` (the display name, with
arguments for theories), ``time`` in seconds and ``result`` (``Pass``, ``Fail``, ``Skip``,
``NotRun``); a failure holds ``<message>`` and ``<stack-trace>``, a skip its ``<reason>``;
``<traits>`` become properties. The suite is the assembly's file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._attempts import merge_repeated
from testgate.adapters._xml import iterparse, local
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

__all__ = ["ADAPTERS", "XunitAdapter"]

_RESULTS: dict[str, TestStatus] = {
    "pass": "passed",
    "fail": "failed",
    "skip": "skipped",
    "notrun": "skipped",
}


def _child(elem: Any, name: str) -> Any:
    for child in elem:
        if local(child.tag) == name:
            return child
    return None


def _text(elem: Any) -> str | None:
    if elem is None:
        return None
    text = "".join(elem.itertext()).strip()
    return text or None


def read_xunit(path: Path) -> list[TestCase]:
    tests: list[TestCase] = []
    report = str(path)
    assembly = ""
    root: str | None = None
    for event, elem in iterparse(path, ("start", "end")):
        tag = local(elem.tag)
        if event == "start":
            if root is None:
                root = tag
            if tag == "assembly":
                name = (elem.get("name") or "").replace("\\", "/")
                assembly = Path(name).name if name else ""
            continue
        if tag == "test":
            result = (elem.get("result") or "").lower()
            status = _RESULTS.get(result, "failed")
            failure = _child(elem, "failure")
            message = trace = None
            if failure is not None:
                message = _text(_child(failure, "message"))
                trace = _text(_child(failure, "stack-trace"))
                if message is None:
                    message = failure.get("exception-type")
            elif status == "skipped":
                message = _text(_child(elem, "reason"))
            props: dict[str, str] = {}
            traits = _child(elem, "traits")
            if traits is not None:
                for t in traits:
                    if local(t.tag) == "trait" and t.get("name"):
                        props[t.get("name")] = t.get("value") or ""
            tc = TestCase(
                suite=assembly,
                classname=elem.get("type") or "",
                name=elem.get("name") or elem.get("method") or "",
                status=status,
                duration_s=parse_time(elem.get("time")),
                message=bounded(message, MAX_MESSAGE_CHARS),
                trace=bounded(trace, MAX_TRACE_CHARS),
                report=report,
            )
            if props:
                tc.properties = props
            tests.append(tc)
            elem.clear()
        elif tag == "collection":
            elem.clear()
    if root not in ("assemblies", "assembly"):
        raise InputError(
            f"{path}:1: not an xUnit.net XML report (root <{root}>, expected <assemblies> "
            "or xUnit.net v1's <assembly>)"
        )
    return merge_repeated(tests)


class XunitAdapter:
    """xUnit.net v2 XML."""

    name = "xunit"
    kind = "tests"
    description = "xUnit.net v2 XML (<assemblies>; dotnet test, xunit.console -xml) and v1"

    def sniff(self, head: str, path: Path) -> int:
        if "<assemblies" in head and ("<assembly" in head or "<collection" in head):
            return 90
        if "<assembly " in head and ("<collection" in head or "<class " in head):
            return 80  # a v2 <assembly> alone, or xUnit.net v1 (<assembly><class><test>)
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_xunit(path))


ADAPTERS: list[Any] = [XunitAdapter()]
