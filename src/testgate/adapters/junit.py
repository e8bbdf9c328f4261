"""JUnit XML, in every dialect our users' tools write, read streaming.

One reader covers pytest, jest-junit, mocha, Maven Surefire/Failsafe, Gradle, go-junit-report,
gotestsum, PHPUnit, CTest, RSpec, Playwright, Cypress, Karma, Bazel, Catch2, node's
``--test-reporter=junit`` and the rest: they all write ``<testcase>`` elements, and the counts
come from those elements only, because producers' suite attributes are often wrong.

The file is read with :func:`testgate.adapters._xml.iterparse` (entities refused), filtered to
suite and case events, and each finished element is cleared and dropped, so a file with a million
test cases costs one :class:`~testgate.model.TestCase` each and never a whole tree.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._xml import iterparse, local
from testgate.errors import InputError
from testgate.model import MAX_MESSAGE_CHARS, MAX_TRACE_CHARS, ReportData, TestCase, bounded

if TYPE_CHECKING:
    from testgate.adapters.registry import ReadContext

__all__ = ["ADAPTERS", "JUnitAdapter", "parse_time", "read_junit", "write_junit"]

_FAIL_TAGS = frozenset({"failure"})
_ERROR_TAGS = frozenset({"error"})
# Surefire 3 / Marathon: the test failed, then passed on a rerun (flaky) ...
_FLAKY_TAGS = frozenset({"flakyFailure", "flakyError"})
# ... or failed on every rerun too.
_RERUN_TAGS = frozenset({"rerunFailure", "rerunError"})
# status="..." attributes (gtest, Catch2, Bazel, CTest, tst) that mean the test did not run
_SKIP_STATUS = frozenset({"notrun", "disabled", "skipped", "skip", "ignored", "pending"})
_FAIL_STATUS = frozenset({"fail", "failed", "failure"})
_ERROR_STATUS = frozenset({"error", "errored"})

_ROOT = re.compile(r"<(?![?!])([A-Za-z_][\w.:-]*)")
_ROOT_TAGS = frozenset({"testsuites", "testsuite", "testcase"})
# the name given to a test made for an <error>/<failure> placed directly under <testsuite>
SUITE_LEVEL_NAME = "(suite)"


def parse_time(raw: str | None) -> float:
    """Seconds from a ``time`` attribute in any form producers write; 0.0 when unusable.

    ``"2,503.1"`` (a thousands separator), ``"4.5e-05"``, ``""``, missing, ``NaN`` and negative
    values all occur in real reports; a negative or unreadable time becomes 0.
    """
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        try:
            value = float(raw.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return 0.0
    if value < 0.0 or math.isnan(value) or math.isinf(value):
        return 0.0
    return value


def _text(elem: Any) -> str:
    """All text inside *elem* (CDATA split as ``]]]]><![CDATA[>`` is joined by the parser)."""
    return "".join(elem.itertext())


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return None


def _int(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        n = int(raw.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


class _Reader:
    """The state of reading one file: the suite stack and the retry bookkeeping."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.report = str(path)
        self.tests: list[TestCase] = []
        self.suites: list[str] = []
        #: (suite, classname, name, file) -> index in tests, for tests that failed: a later
        #: case with the same identity in the same report is a rerun (gotestsum --rerun-fails,
        #: pytest-rerunfailures-style reports), merged into one test with several attempts
        self.bad: dict[tuple[str, str, str, str | None], int] = {}
        self.intern: dict[str, str] = {}
        self.seen = False

    def _s(self, value: str) -> str:
        # Interning suite and class names: a million tests share a few thousand of them.
        got = self.intern.get(value)
        if got is None:
            got = self.intern[value] = sys.intern(value)
        return got

    def suite_name(self) -> str:
        for name in reversed(self.suites):
            if name:
                return name
        return ""

    def case(self, elem: Any) -> None:
        get = elem.get
        name = get("name") or ""
        classname = get("classname")
        if classname is None:
            classname = get("class") or ""  # PHPUnit writes both; some writers only class
        suite = self.suite_name()
        raw_time = get("time")
        status = "passed"
        message: str | None = None
        traces: list[str] = []
        flaky_n = rerun_n = 0
        flaky_msg: str | None = None
        flaky_traces: list[str] = []
        properties: dict[str, str] | None = None
        skipped = failed = errored = False
        if len(elem):
            for child in elem:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                if "}" in tag:
                    tag = local(tag)
                if tag in _FAIL_TAGS or tag in _ERROR_TAGS:
                    if tag in _FAIL_TAGS:
                        failed = True
                    else:
                        errored = True
                    text = _text(child).strip()
                    if message is None:
                        message = child.get("message") or _first_line(text) or child.get("type")
                    if text:
                        traces.append(text)
                elif tag == "skipped":
                    skipped = True
                    if message is None:
                        message = child.get("message") or _first_line(_text(child))
                elif tag in _FLAKY_TAGS:
                    flaky_n += 1
                    if flaky_msg is None:
                        flaky_msg = child.get("message") or child.get("type")
                    flaky_traces.extend(_stack_traces(child))
                elif tag in _RERUN_TAGS:
                    rerun_n += 1
                    traces.extend(_stack_traces(child))
                elif tag == "properties":
                    for prop in child:
                        pname = prop.get("name") if isinstance(prop.tag, str) else None
                        if pname:
                            if properties is None:
                                properties = {}
                            properties[pname] = prop.get("value") or _text(prop).strip()
                elif tag == "time" and raw_time is None:
                    raw_time = _text(child)  # AntUnit writes <time> as a child element
        if failed:
            status = "failed"
        elif errored:
            status = "error"
        elif skipped:
            status = "skipped"
        else:
            st = get("status") or get("result")
            if st:
                st = st.lower()
                if st in _SKIP_STATUS:
                    status = "skipped"
                elif st in _FAIL_STATUS:
                    status = "failed"
                elif st in _ERROR_STATUS:
                    status = "error"
        attempts = 1
        flaky = False
        if status == "passed" and flaky_n:
            flaky = True
            attempts = 1 + flaky_n
            message = flaky_msg
            traces = flaky_traces
        elif status in ("failed", "error"):
            attempts = 1 + rerun_n + flaky_n
        line = _int(get("line"))
        tc = TestCase(
            suite=self._s(suite),
            classname=self._s(classname),
            name=name,
            status=status,
            duration_s=parse_time(raw_time),
            file=get("file"),
            line=line,
            message=bounded(message, MAX_MESSAGE_CHARS) if message else None,
            trace=bounded("\n\n".join(traces), MAX_TRACE_CHARS) if traces else None,
            attempts=attempts,
            flaky=flaky,
            report=self.report,
        )
        if properties:
            tc.properties = properties
        key = (suite, classname, name, tc.file)
        prior = self.bad.get(key) if self.bad else None
        if prior is not None:
            self._merge_rerun(prior, tc)
            return
        if status in ("failed", "error"):
            self.bad[key] = len(self.tests)
        self.tests.append(tc)

    def _merge_rerun(self, index: int, again: TestCase) -> None:
        """A case repeated after a failure: the same test run again; the last outcome counts."""
        first = self.tests[index]
        attempts = first.attempts + again.attempts
        duration = first.duration_s + again.duration_s
        if again.status == "passed":
            again.flaky = True
            again.message = again.message or first.message
            again.trace = again.trace or first.trace
        again.attempts = attempts
        again.duration_s = duration
        # the key stays in `bad`: a third attempt after a pass is still the same test
        self.tests[index] = again

    def suite_end(self, elem: Any) -> None:
        # <error>/<failure> directly under <testsuite>: a class-level failure (Ant, JUnit 4
        # @BeforeClass); it becomes one test so the failure is not lost.
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            tag = local(tag)
            if tag in _FAIL_TAGS or tag in _ERROR_TAGS:
                text = _text(child).strip()
                name = self.suite_name()
                self.tests.append(
                    TestCase(
                        suite=self._s(name),
                        classname=self._s(name),
                        name=SUITE_LEVEL_NAME,
                        status="failed" if tag in _FAIL_TAGS else "error",
                        message=bounded(
                            child.get("message") or _first_line(text) or child.get("type"),
                            MAX_MESSAGE_CHARS,
                        ),
                        trace=bounded(text, MAX_TRACE_CHARS) if text else None,
                        report=self.report,
                    )
                )
                break


def _stack_traces(elem: Any) -> list[str]:
    """The ``<stackTrace>`` text of a Surefire flaky/rerun element (or its own text)."""
    out: list[str] = []
    for child in elem:
        if isinstance(child.tag, str) and local(child.tag) == "stackTrace":
            text = _text(child).strip()
            if text:
                out.append(text)
    if not out:
        text = (elem.text or "").strip()
        if text:
            out.append(text)
    return out


def _drop(elem: Any) -> None:
    """Free a finished element and the finished siblings before it."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is None:
        return
    tag = elem.tag
    prev = elem.getprevious()
    while prev is not None and prev.tag == tag:
        parent.remove(prev)
        prev = elem.getprevious()


def read_junit(path: Path) -> list[TestCase]:
    """Every test case in the JUnit XML file *path*."""
    reader = _Reader(path)
    case = reader.case
    suites = reader.suites
    events = iterparse(
        path,
        ("start", "end"),
        tag=("{*}testsuite", "{*}testcase", "{*}testsuites"),
    )
    for event, elem in events:
        tag = elem.tag
        if "}" in tag:
            tag = local(tag)
        if tag == "testcase":
            if event == "end":
                case(elem)
                _drop(elem)
        elif tag == "testsuite":
            if event == "start":
                suites.append(elem.get("name") or "")
            else:
                reader.suite_end(elem)
                suites.pop()
                _drop(elem)
        reader.seen = True
    if not reader.seen:
        raise InputError(
            f"{path}:1: not a JUnit XML report (no <testsuites>, <testsuite> or <testcase> "
            "element found)",
            slug="unknown-format",
        )
    return reader.tests


class JUnitAdapter:
    """JUnit XML (every dialect)."""

    name = "junit"
    kind = "tests"
    description = (
        "JUnit XML from any producer: pytest, jest-junit, mocha, Surefire/Failsafe, Gradle, "
        "go-junit-report, gotestsum, PHPUnit, CTest, RSpec, Playwright, Cypress, Karma, Bazel, "
        "Catch2, node --test"
    )

    def sniff(self, head: str, path: Path) -> int:
        m = _root_match(head)
        if m is not None and local(m) in _ROOT_TAGS:
            return 90
        if "<testsuite" in head and "<testcase" in head:
            return 40
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_junit(path))


def _root_match(head: str) -> str | None:
    """The name of the first element in *head*, past the declaration, comments and DOCTYPE."""
    pos = 0
    n = len(head)
    while pos < n:
        lt = head.find("<", pos)
        if lt < 0:
            return None
        if head.startswith("<!--", lt):
            end = head.find("-->", lt + 4)
            if end < 0:
                return None
            pos = end + 3
            continue
        m = _ROOT.match(head, lt)
        if m:
            return m.group(1)
        pos = lt + 1
    return None


# --------------------------------------------------------------------------------------------
# Writing: used by the round-trip property tests and by the JUnit renderer of a run.


def write_junit(tests: Iterable[TestCase], path: str | Path, *, name: str = "testgate") -> Path:
    """Write *tests* as one JUnit XML file, streaming, readable back by :func:`read_junit`.

    Consecutive tests of the same suite share a ``<testsuite>``. A flaky test is written as
    Surefire writes it (passed, with one ``<flakyFailure>`` per failed attempt); a failed test
    with several attempts gets ``<rerunFailure>``/``<rerunError>`` elements.
    """
    from lxml import etree

    target = Path(path)
    items = list(tests)
    with etree.xmlfile(str(target), encoding="utf-8") as xf:
        xf.write_declaration()
        counts = _counts(items)
        with xf.element("testsuites", {"name": name, **counts}):
            start = 0
            while start < len(items):
                suite = items[start].suite
                end = start
                while end < len(items) and items[end].suite == suite:
                    end += 1
                group = items[start:end]
                with xf.element("testsuite", {"name": _xml_safe(suite), **_counts(group)}):
                    for tc in group:
                        xf.write(_case_element(tc, etree))
                start = end
    return target


def _counts(items: list[TestCase]) -> dict[str, str]:
    c = {"tests": len(items), "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for t in items:
        if t.status == "failed":
            c["failures"] += 1
        elif t.status == "error":
            c["errors"] += 1
        elif t.status == "skipped":
            c["skipped"] += 1
        total += t.duration_s
    out = {k: str(v) for k, v in c.items()}
    out["time"] = repr(round(total, 6))
    return out


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold control characters or lone surrogates: replace them with U+FFFD."""
    return _ILLEGAL_XML.sub("\ufffd", text)


def _case_element(tc: TestCase, etree: Any) -> Any:
    attrs = {"name": _xml_safe(tc.name), "classname": _xml_safe(tc.classname)}
    attrs["time"] = repr(tc.duration_s)
    if tc.file is not None:
        attrs["file"] = _xml_safe(tc.file)
    if tc.line is not None:
        attrs["line"] = str(tc.line)
    el = etree.Element("testcase", attrs)
    msg = _xml_safe(tc.message) if tc.message is not None else None
    trace = _xml_safe(tc.trace) if tc.trace is not None else None
    if tc.status in ("failed", "error"):
        tag = "failure" if tc.status == "failed" else "error"
        child = etree.SubElement(el, tag, {"message": msg} if msg is not None else {})
        if trace:
            child.text = trace
        for _ in range(max(0, tc.attempts - 1)):
            rerun = etree.SubElement(el, "rerunFailure" if tag == "failure" else "rerunError")
            etree.SubElement(rerun, "stackTrace")
    elif tc.status == "skipped":
        etree.SubElement(el, "skipped", {"message": msg} if msg is not None else {})
    elif tc.flaky:
        for i in range(max(1, tc.attempts - 1)):
            flaky = etree.SubElement(
                el, "flakyFailure", {"message": msg} if msg is not None and i == 0 else {}
            )
            if trace and i == 0:
                etree.SubElement(flaky, "stackTrace").text = trace
    if tc.properties:
        props = etree.SubElement(el, "properties")
        for k, v in tc.properties.items():
            etree.SubElement(props, "property", {"name": _xml_safe(k), "value": _xml_safe(v)})
    return el


ADAPTERS: list[Any] = [JUnitAdapter()]
