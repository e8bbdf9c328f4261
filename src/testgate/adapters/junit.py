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
import operator
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate._gc import paused
from testgate.adapters._attempts import merge_attempt
from testgate.adapters._paths import PathNormalizer
from testgate.adapters._text import strip_ansi
from testgate.adapters._xml import local, parse_with_target
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

__all__ = ["ADAPTERS", "JUnitAdapter", "parse_time", "read_junit"]

#: TestCase without its __init__: see _Target.end
_new_case = object.__new__


class _NoProperties(dict[str, str]):
    """The ``properties`` of every test case that has none: one shared, read-only empty dict.

    A fresh ``{}`` per case costs 64 bytes and an allocation: a sixth of the memory and a
    tenth of the time of reading a million cases (measured). Sharing one is safe only if
    nobody can fill it, so every mutator refuses (replace the attribute instead).
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("this TestCase has no properties: assign a new dict instead")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[dict[str, str]], tuple[()]]:
        return (dict, ())  # a copy or an unpickled test gets an ordinary, fillable dict


_NO_PROPERTIES: dict[str, str] = _NoProperties()

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


#: text kept from one <failure>/<error>/<stackTrace>: a little over the trace bound, so that
#: a 100 MB failure body costs no more memory than a short one
_TEXT_CAP = MAX_TRACE_CHARS + 1024


class _Case:
    """What the child elements of one ``<testcase>`` said (only built when it has children)."""

    __slots__ = (
        "errored",
        "failed",
        "flaky_msg",
        "flaky_n",
        "flaky_traces",
        "message",
        "properties",
        "rerun_n",
        "skipped",
        "time",
        "todo",
        "traces",
    )

    def __init__(self) -> None:
        self.failed = self.errored = self.skipped = False
        self.message: str | None = None
        self.traces: list[str] = []
        self.flaky_n = self.rerun_n = 0
        self.flaky_msg: str | None = None
        self.flaky_traces: list[str] = []
        self.properties: dict[str, str] | None = None
        self.time: str | None = None
        #: <skipped type="todo"> (node --test): an expected failure, not a failure
        self.todo = False


class _Target:
    """An lxml parser target: sees each element's tag and attributes as they stream past.

    No tree is built: the state is the stack of suite names, the attributes of the current
    ``<testcase>`` and, only for cases with child elements, a :class:`_Case`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.report = str(path)
        self.tests: list[TestCase] = []
        self.suites: list[str] = []
        #: per open <testsuite>: [index of its first case, its own `tests` count, positions of
        #: cases that repeat the case before them, entries merged away so far] (see add() and
        #: _suite_end())
        self.frames: list[list[Any]] = []
        self.suite = ""  # innermost non-empty suite name
        self.seen = False
        self.attrib: dict[str, str] | None = None  # of the open <testcase>
        self.case: _Case | None = None
        self.depth = 0  # element depth inside the open <testcase>
        self.child = ""  # local name of the open depth-1 child
        self.grandchild_attrib: dict[str, str] | None = None
        #: every text chunk since the last flush(); the text of the element being collected
        #: starts at `mark`. `data` is the list's own append, so that the parser hands text
        #: over without a Python call (one per whitespace run between elements, a million
        #: on a million cases: ~2% fewer instructions, measured with callgrind; most of the
        #: cost is lxml making the string); flush() keeps the list short and the text bounded.
        self.buf: list[str] = []
        self.data = self.buf.append
        self.collect = False
        self.mark = 0
        # an <error>/<failure> directly under <testsuite>: (tag, attrib), and its text
        self.suite_error: tuple[str, dict[str, str]] | None = None
        self.suite_error_text: str | None = None
        #: (suite, classname, name, file) -> index in tests, for tests that failed: a later
        #: case with the same identity in the same report is a rerun (gotestsum --rerun-fails,
        #: Surefire-style reports), merged into one test with several attempts
        self.bad: dict[tuple[str, str, str, str | None], int] = {}
        #: the names in `bad`: a cheap first check, because most files have no failures
        self.bad_names: set[str] = set()
        #: the name of the previous case: a case repeating it (same identity) is another
        #: attempt of the same test, as pytest-rerunfailures writes them (one entry per
        #: attempt, back to back, the failed ones with no child element). A name comparison
        #: per case costs nothing; a set of every name would cost ~0.4 s per million cases.
        self.prev_name: str | None = None
        #: a class name with leading blanks was seen: jest-junit writes a test outside any
        #: describe() block as classname=" title" name=" title" (its templates join an empty
        #: describe path and the title with a space); ids are trimmed after the read
        self.padded = False
        self.names: dict[str, str] = {}
        #: time and line attribute text -> value: the same few values repeat, and sharing one
        #: float or int object per value saves memory on a million cases
        self.times: dict[str, float] = {"0": parse_time("0")}
        self.lines: dict[str, int | None] = {}
        self.amp = _amp_quirk()
        #: whether the one-call readers of a <testcase>'s attributes still apply (see end())
        self.fast5 = self.fast3 = True
        #: (attribute text, interned name) of the previous case's class and file
        self.last_class = ("", "")
        self.last_file = ("", "")
        #: every distinct file= value, for the path normalisation after the read
        self.files: set[str] = set()

    # -- helpers ------------------------------------------------------------------------------

    def intern(self, value: str) -> str:
        # Suite, class and file names repeat: a million tests share a few thousand of them.
        got = self.names.get(value)
        if got is None:
            got = self.names[value] = sys.intern(value)
        return got

    def _start_text(self) -> None:
        self.collect = True
        self.mark = len(self.buf)

    def _take_text(self) -> str:
        if not self.collect:
            return ""
        self.collect = False
        text = "".join(self.buf[self.mark :])
        return text[:_TEXT_CAP] if len(text) > _TEXT_CAP else text

    def flush(self) -> None:
        """Between two chunks of input: drop text nobody collects, bound what is collected.

        A chunk of input holds at most its own size in text, so memory stays flat however
        long a failure body is.
        """
        buf = self.buf
        if not self.collect:
            buf.clear()
            return
        del buf[: self.mark]
        self.mark = 0
        if sum(map(len, buf)) > _TEXT_CAP:
            buf[:] = ["".join(buf)[:_TEXT_CAP]]

    def _set_suite(self) -> None:
        for name in reversed(self.suites):
            if name:
                self.suite = self.intern(name)
                return
        self.suite = ""

    # -- the parser target protocol -------------------------------------------------------------

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == "testcase" and self.attrib is None:
            # the hot path: a test case's attributes are fixed up when the case ends (`case`
            # is None and `depth` 0 here: the previous case's end left them so)
            self.attrib = attrib
            return
        if "}" in tag:
            tag = local(tag)
            if tag == "testcase" and self.attrib is None:
                self.attrib = attrib
                return
        if self.amp and attrib:
            attrib = _unamp_dict(attrib)
        if self.attrib is not None:
            self.depth += 1
            if self.depth == 1:
                self._child_start(tag, attrib)
            elif self.depth == 2:
                self._grandchild_start(tag, attrib)
            return
        if tag == "testsuite":
            self.suites.append(attrib.get("name") or "")
            self.frames.append([len(self.tests), _int(attrib.get("tests")), None, 0])
            self._set_suite()
            self.seen = True
        elif tag == "testsuites":
            self.seen = True
        elif (tag == "error" or tag == "failure") and self.suites and self.suite_error is None:
            self.suite_error = (tag, dict(attrib))
            self._start_text()

    def end(self, tag: str) -> None:
        attrib = self.attrib
        if attrib is None:
            if "}" in tag:
                tag = local(tag)
            if tag == "testsuite":
                if self.suite_error is not None:
                    self._suite_error_end()
                if self.suites:
                    self.suites.pop()
                if self.frames:
                    self._suite_end(self.frames.pop())
                self._set_suite()
            elif (
                (tag == "error" or tag == "failure")
                and self.suite_error is not None
                and self.suite_error_text is None
            ):
                # its text now: test cases may follow it inside the same suite
                self.suite_error_text = self._take_text()
            return
        if self.depth:
            if self.depth == 1:
                self._child_end()
            elif self.depth == 2:
                self._grandchild_end()
            self.depth -= 1
            return
        self.attrib = None
        if self.case is not None:
            case = self.case
            self.case = None
            self._full_case_end(attrib, case)
            return
        # The hot path: a case without child elements (passed, or a status attribute says
        # otherwise). It runs once per test case of the file, so it is written inline and
        # measured: every attribute lookup and call here costs ~30 ms per million cases.
        # Attributes: the usual shapes (classname, name, time, and file and line or neither,
        # in any order) are read by one C-level call; any other shape, or the first case of
        # a file where that call misses, takes the general path for the rest of the file.
        n = len(attrib)
        if n == 5 and self.fast5:
            try:
                raw, classname, name, file, raw_line = _CASE5(attrib)
                st = None
            except KeyError:
                self.fast5 = False
                raw, classname, name, file, raw_line, st = _case_attributes(attrib)
        elif n == 3 and self.fast3:
            try:
                raw, classname, name = _CASE3(attrib)
                file = raw_line = st = None
            except KeyError:
                self.fast3 = False
                raw, classname, name, file, raw_line, st = _case_attributes(attrib)
        else:
            raw, classname, name, file, raw_line, st = _case_attributes(attrib)
        if raw:
            duration = self.times.get(raw)
            if duration is None:
                duration = parse_time(raw)
                if len(self.times) < 65536:
                    self.times[raw] = duration
        else:
            duration = 0.0
        if raw_line:
            line = self.lines.get(raw_line, -1)
            if line == -1:
                line = self.lines[raw_line] = _int(raw_line)
        else:
            line = None
        amp = self.amp
        if amp and "&" in name:
            name = name.replace("&#38;", "&")
        # consecutive cases mostly share a class and a file: comparing with the previous
        # case's text is cheaper than hashing a fresh string for the interning table (and the
        # text's `&#38;` fix is part of the interned value)
        if classname == self.last_class[0]:
            cls = self.last_class[1]
        else:
            raw_cls = classname
            if amp and "&" in classname:
                classname = classname.replace("&#38;", "&")
            if classname[:1] == " ":
                self.padded = True  # jest-junit's top-level tests: " name" (see read_junit)
            cls = self.intern(classname)
            self.last_class = (raw_cls, cls)
        if file:
            if file == self.last_file[0]:
                file = self.last_file[1]
            else:
                raw_file = file
                if amp and "&" in file:
                    file = file.replace("&#38;", "&")
                file = self.intern(file)
                self.files.add(file)
                self.last_file = (raw_file, file)
        # TestCase.__new__ and slot stores: half the cost of the dataclass __init__ call
        # (every field is set; test_fast_case_sets_every_field keeps this list complete)
        tc = _new_case(TestCase)
        tc.suite = self.suite
        tc.classname = cls
        tc.name = name
        tc.status = _status_attr(st) if st else "passed"
        tc.duration_s = duration
        tc.file = file
        tc.line = line
        tc.message = None
        tc.trace = None
        tc.attempts = 1
        tc.flaky = False
        tc.properties = _NO_PROPERTIES
        tc.step = None
        tc.report = self.report
        tc.test_id = None
        tc.category = None
        tc.fingerprint = None
        tc.teardown_error = None
        if st or name in self.bad_names or name == self.prev_name:
            self.add(tc)
        else:
            self.prev_name = name
            self.tests.append(tc)

    def close(self) -> list[TestCase]:
        if self.tests:
            self.seen = True  # (a bare <testcase> root has no suite to say so)
        return self.tests

    # -- children of a <testcase> -----------------------------------------------------------

    def _child_start(self, tag: str, attrib: dict[str, str]) -> None:
        case = self.case
        if case is None:
            case = self.case = _Case()
        self.child = tag
        if tag == "failure" or tag == "error":
            if tag == "failure":
                case.failed = True
            else:
                case.errored = True
            if case.message is None:
                case.message = attrib.get("message") or None
                if case.message is None:
                    self.grandchild_attrib = attrib  # take the first text line, or the type
            self._start_text()
        elif tag == "skipped":
            case.skipped = True
            if (attrib.get("type") or "").lower() == "todo":
                case.todo = True
                case.message = attrib.get("message") or case.message
            elif case.message is None:
                case.message = attrib.get("message") or None
            self._start_text()
        elif tag in _FLAKY_TAGS:
            case.flaky_n += 1
            if case.flaky_msg is None:
                case.flaky_msg = attrib.get("message") or attrib.get("type")
            self._start_text()  # old Surefire writes the trace as the element's own text
        elif tag in _RERUN_TAGS:
            case.rerun_n += 1
            self._start_text()
        elif tag == "time":
            self._start_text()  # AntUnit writes <time> as a child element

    def _child_end(self) -> None:
        case = self.case
        assert case is not None
        tag = self.child
        self.child = ""
        if tag == "failure" or tag == "error":
            text = self._take_text().strip()
            if case.message is None:
                attrib = self.grandchild_attrib or {}
                case.message = _first_line(text) or attrib.get("type") or None
            self.grandchild_attrib = None
            if text:
                case.traces.append(text)
        elif tag == "skipped":
            text = self._take_text()
            if case.message is None:
                case.message = _first_line(text)
        elif tag in _FLAKY_TAGS or tag in _RERUN_TAGS:
            text = self._take_text().strip() if self.collect else ""
            if text:
                (case.flaky_traces if tag in _FLAKY_TAGS else case.traces).append(text)
        elif tag == "time":
            case.time = self._take_text()

    def _grandchild_start(self, tag: str, attrib: dict[str, str]) -> None:
        parent = self.child
        if tag == "stackTrace" and (parent in _FLAKY_TAGS or parent in _RERUN_TAGS):
            self._start_text()
        elif tag == "property" and parent == "properties":
            self.grandchild_attrib = dict(attrib)
            self._start_text()
        elif self.collect and (parent in _FLAKY_TAGS or parent in _RERUN_TAGS):
            # <system-out>/<system-err> of a rerun: not part of its trace
            self.collect = False

    def _grandchild_end(self) -> None:
        case = self.case
        assert case is not None
        parent = self.child
        if parent in _FLAKY_TAGS or parent in _RERUN_TAGS:
            if self.collect:
                text = self._take_text().strip()
                if text:
                    (case.flaky_traces if parent in _FLAKY_TAGS else case.traces).append(text)
        elif parent == "properties" and self.grandchild_attrib is not None:
            text = self._take_text()
            name = self.grandchild_attrib.get("name")
            if name:
                if case.properties is None:
                    case.properties = {}
                value = self.grandchild_attrib.get("value")
                case.properties[name] = value if value is not None else text.strip()
            self.grandchild_attrib = None

    # -- the end of a <testcase> ------------------------------------------------------------

    def _full_case_end(self, attrib: dict[str, str], case: _Case) -> None:
        """A case with child elements: failures, skips, reruns, properties."""
        if self.amp:
            attrib = _unamp_dict(attrib)
        get = attrib.get
        raw = get("time")
        if raw is None:
            raw = case.time or get("duration")
        duration = parse_time(raw)
        classname = get("classname")
        if classname is None:
            classname = get("class") or ""  # some PHPUnit-style writers only write class
        file = get("file")
        line = get("line")
        trace: str | None = None
        attempts = 1
        flaky = False
        status: TestStatus
        if case.todo:
            status = "skipped"  # a TODO test may fail; that is what TODO means
        elif case.failed:
            status = "failed"
        elif case.errored:
            status = "error"
        elif case.skipped:
            status = "skipped"
        else:
            status = _status_attr(get("status") or get("result"))
        message = case.message
        traces = case.traces
        if status == "passed" and case.flaky_n:
            flaky = True
            attempts = 1 + case.flaky_n
            message = case.flaky_msg
            traces = case.flaky_traces
        elif status == "failed" or status == "error":
            attempts = 1 + case.rerun_n + case.flaky_n
        elif status == "skipped":
            traces = []
        message = bounded(strip_ansi(message), MAX_MESSAGE_CHARS) if message else None
        if traces:
            trace = bounded(strip_ansi("\n\n".join(traces)), MAX_TRACE_CHARS)
        tc = TestCase(
            self.suite,
            self.intern(classname),
            get("name") or "",
            status,
            duration,
            self.intern(file) if file else file,
            _int(line) if line else None,
            message,
            trace,
            attempts,
            flaky,
            case.properties or _NO_PROPERTIES,
            None,
            self.report,
        )
        if tc.file:
            self.files.add(tc.file)
        self.add(tc)

    def add(self, tc: TestCase) -> None:
        name = tc.name
        if name:
            # (nameless cases, as some fixtures write, cannot be told apart: never merged)
            prior: int | None = None
            if name in self.bad_names:
                prior = self.bad.get((tc.suite, tc.classname, name, tc.file))
            if prior is None and name == self.prev_name and self.frames:
                last = self.tests[-1]
                frame = self.frames[-1]
                if (
                    last.classname == tc.classname
                    and last.suite == tc.suite
                    and last.file == tc.file
                    and len(self.tests) > frame[0]
                ):
                    # the same id right after a pass: another attempt only if the suite's own
                    # count says so (decided when the suite ends)
                    if frame[2] is None:
                        frame[2] = set()
                    frame[2].add(len(self.tests))
            if prior is not None:
                # another attempt of the same test: merged by the one rule all readers share;
                # the key stays in `bad` (a third attempt after a pass is still the same test)
                merged = self.tests[prior] = merge_attempt(self.tests[prior], tc)
                if self.frames:
                    self.frames[-1][3] += 1
                if merged.status == "failed" or merged.status == "error":
                    self.bad[tc.suite, tc.classname, name, tc.file] = prior
                    self.bad_names.add(name)
                return
            if tc.status == "failed" or tc.status == "error":
                self.bad[tc.suite, tc.classname, name, tc.file] = len(self.tests)
                self.bad_names.add(name)
        self.prev_name = name
        self.tests.append(tc)

    def _suite_end(self, frame: list[Any]) -> None:
        """Merge a suite's back-to-back repeats of one id when they are attempts of one test.

        pytest-rerunfailures writes every attempt as its own ``<testcase>``, back to back, the
        failed ones with no child element, and does not count the reruns in the suite's
        ``tests``; jest's ``it.each``, mocha and TestNG data providers repeat an id for tests
        that are distinct and count every one. The suite's own count tells which it is.
        """
        start, declared, repeats, merged = frame
        entries = len(self.tests) - start + merged  # as written, before any merging
        if declared is not None and entries > declared:
            # jest-junit: each test.todo is a childless case of time="0" that the suite's
            # count leaves out; exactly that many such cases are the todos. Childless cases
            # share the time cache's float per time text, so `is` finds those of "0" (not
            # "0.000", as pytest writes) with no cost on the read's hot path
            zero = self.times["0"]
            zeros = [
                tc
                for tc in self.tests[start:]
                if tc.duration_s is zero and tc.status == "passed" and tc.attempts == 1
            ]
            if zeros and len(zeros) == entries - declared:
                for tc in zeros:
                    tc.status = "skipped"
                    tc.message = "todo"
                repeats = None
        if not repeats or declared is None or entries <= declared:
            if self.frames:
                self.frames[-1][3] += merged
            return
        out: list[TestCase] = []
        for i, tc in enumerate(self.tests[start:], start):
            if i in repeats and out:
                before = out[-1]
                if before.status == "passed":
                    # a rerun follows only a failed attempt: pytest-rerunfailures writes the
                    # failed attempt as an empty case
                    before.status = "failed"
                    before.message = before.message or "failed (rerun)"
                out[-1] = merge_attempt(before, tc)
            else:
                out.append(tc)
        if self.frames:
            self.frames[-1][3] += merged + len(self.tests) - start - len(out)
        del self.tests[start:]
        self.tests.extend(out)
        # positions after `start` moved: index the failed tests of the suite again
        for key in [k for k, i in self.bad.items() if i >= start]:
            del self.bad[key]
        for i, tc in enumerate(out, start):
            if tc.status == "failed" or tc.status == "error":
                self.bad[tc.suite, tc.classname, tc.name, tc.file] = i
                self.bad_names.add(tc.name)

    def _suite_error_end(self) -> None:
        """``<error>``/``<failure>`` directly under ``<testsuite>``: a class-level failure.

        Ant and JUnit 4 ``@BeforeClass`` failures are written so; the failure becomes one test
        so that it is not lost.
        """
        assert self.suite_error is not None
        tag, attrib = self.suite_error
        self.suite_error = None
        text = (self.suite_error_text or "").strip()
        self.suite_error_text = None
        name = self.suite
        self.add(
            TestCase(
                name,
                name,
                SUITE_LEVEL_NAME,
                "failed" if tag == "failure" else "error",
                message=bounded(
                    attrib.get("message") or _first_line(text) or attrib.get("type"),
                    MAX_MESSAGE_CHARS,
                ),
                trace=bounded(text, MAX_TRACE_CHARS) if text else None,
                report=self.report,
            )
        )


_CASE5 = operator.itemgetter("time", "classname", "name", "file", "line")
_CASE3 = operator.itemgetter("time", "classname", "name")


def _case_attributes(
    attrib: dict[str, str],
) -> tuple[str | None, str, str, str | None, str | None, str | None]:
    """(time, classname, name, file, line, status) of a ``<testcase>``, in any dialect."""
    get = attrib.get
    raw = get("time")
    if raw is None:
        raw = get("duration")  # Bazel's generated test.xml writes both, in seconds
    classname = get("classname")
    if classname is None:
        classname = get("class") or ""  # some PHPUnit-style writers only write class
    return (
        raw,
        classname,
        get("name") or "",
        get("file"),
        get("line"),
        get("status") or get("result"),
    )


def _unamp_dict(attrib: dict[str, str]) -> dict[str, str]:
    """Attribute values with libxml2's ``&#38;`` turned back into ``&`` (see _amp_quirk)."""
    if "&" not in "".join(attrib.values()):
        return attrib
    return {k: v.replace("&#38;", "&") for k, v in attrib.items()}


_AMP_QUIRK: bool | None = None


def _amp_quirk() -> bool:
    """Whether libxml2 hands a parser target ``&amp;`` in attributes as ``&#38;``.

    It does when entities are not resolved (as testgate never does): every ``&`` of an
    attribute value arrives as ``&#38;``, consistently, so replacing it back is exact. Probed
    once rather than assumed, in case a libxml2 version behaves otherwise.
    """
    global _AMP_QUIRK
    if _AMP_QUIRK is None:
        from lxml import etree

        seen: list[str] = []

        class _Probe:
            def start(self, tag: str, attrib: dict[str, str]) -> None:
                seen.append(attrib.get("a", ""))

            def end(self, tag: str) -> None:
                return None

            def data(self, data: str) -> None:
                return None

            def close(self) -> None:
                return None

        parser = etree.XMLParser(
            target=_Probe(),  # type: ignore[arg-type]
            resolve_entities=False,
            load_dtd=False,
        )
        parser.feed(b'<x a="&amp;"/>')
        parser.close()
        _AMP_QUIRK = seen == ["&#38;"]
    return _AMP_QUIRK


def _status_attr(st: str | None) -> TestStatus:
    """The outcome a ``status``/``result`` attribute states (gtest, Catch2, Bazel, CTest, tst)."""
    if not st:
        return "passed"
    st = st.lower()
    if st in _SKIP_STATUS:
        return "skipped"
    if st in _FAIL_STATUS:
        return "failed"
    if st in _ERROR_STATUS:
        return "error"
    return "passed"


#: cases read at once from which the new objects are aged in one step (see testgate._gc)
_AGE_AT = 50_000


def read_junit(path: Path, root: Path | None = None) -> list[TestCase]:
    """Every test case in the JUnit XML file *path*, in document order.

    The file is streamed through a parser target (no tree is built); entities and external
    DTDs are refused by :mod:`testgate.adapters._xml`. With a repository *root*, ``file=``
    paths are made repository-relative by the rules coverage paths follow (a Windows agent's
    ``C:\\...``, ``/home/runner/work/...``, ``/builds/...``; see :mod:`testgate.adapters._paths`).
    """
    target = _Target(path)
    made = [0]
    # a million TestCases and no reference cycle among them: without the pause, hundreds of
    # full collections walk every case made so far (up to a third of the read, measured)
    with paused(age=lambda: made[0] >= _AGE_AT):
        tests: list[TestCase] = parse_with_target(path, target, chunk_size=1 << 18)
        made[0] = len(tests)
    if not target.seen:
        raise InputError(
            f"{path}:1: not a JUnit XML report (no <testsuites>, <testsuite> or <testcase> "
            "element found)",
            slug="unknown-format",
        )
    if _NODE_CLASSNAME in target.names:
        # (only then: a second pass over a million cases costs a cache miss per case)
        _scope_node_tests(tests)
    if target.padded:
        for tc in tests:
            tc.classname = tc.classname.strip()
            tc.name = tc.name.strip()
    if root is not None and target.files:
        _normalize_files(tests, target.files, root)
    return tests


def _normalize_files(tests: list[TestCase], files: set[str], root: Path) -> None:
    """Repository-relative ``file=`` paths; a second pass only when one of them changes."""
    norm = PathNormalizer(root, tails=False)
    changed = {f: g for f, g in ((f, sys.intern(norm(f))) for f in files) if g != f}
    if changed:
        get = changed.get
        for tc in tests:
            f = tc.file
            if f is not None:
                tc.file = get(f, f)


#: node --test's JUnit reporter writes classname="test" for every case and no file: the
#: describe() block (the suite) is the only scope that tells two same-named tests apart
_NODE_CLASSNAME = "test"


def _scope_node_tests(tests: list[TestCase]) -> None:
    # a top-level test (no describe block) has no scope: its id is its name, as node's TAP
    # reporter of the same run names it
    for tc in tests:
        if tc.classname == _NODE_CLASSNAME and tc.file is None:
            tc.classname = tc.suite


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
        return ReportData(tests=read_junit(path, ctx.root))


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


ADAPTERS: list[Any] = [JUnitAdapter()]
