"""THE fingerprint of a failure: what caused it, as a short stable key.

Two failures with one cause share a fingerprint, and unrelated failures do not:

- the two parameters of one test, or two tests failing in one helper, fail in the same place
  with the same exception, so they share the **exception type and the normalised location**
  of the innermost frame in the project's own code (file, function and failing statement;
  line numbers, paths, addresses, numbers and quoted values scrubbed);
- an **infrastructure** failure is caused by a dependency, not by a line of code: its
  fingerprint is the kind of failure and the endpoint when the message names one
  (``connection refused 127.0.0.1:5432``), wherever in the code it surfaced;
- a **collection** failure that names a missing module is that module's;
- without any frame of the project's, the exception type and the scrubbed first line of the
  message decide.

This is the project's one fingerprint: outage detection and the reports' grouping of failures
call :func:`fingerprint` too. The key is 16 hexadecimal digits of a SHA-256; :func:`signature`
gives what it was made from, for people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from testgate.model import TestCase
from testgate.triage.categories import CategoryRule, categorize, infrastructure_kind
from testgate.triage.stack import Frame, app_frame, error_lines

__all__ = ["Signature", "exception_type", "fingerprint", "scrub", "signature"]

_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.){0,500}'|\"(?:[^\"\\\n]|\\.){0,500}\"|`[^`\n]{0,500}`")
_ADDR = re.compile(r"\b0x[0-9a-fA-F]+\b")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
_HEX = re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")
_PATH = re.compile(
    r"(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?|\b[\w.-]+(?:[\\/][\w.@+-]+)+\.\w+\b"
)
_NUM = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")
_SPACE = re.compile(r"\s+")
_TYPE_AT_START = re.compile(
    r"^(?:E\s+)?(?P<type>(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*"
    r"(?:Error|Exception|Exit|Interrupt|Failure|Failed|Fault|Timeout|Warning|Panic)|Error|Failed"
    r"|panic)(?:\s*\[[A-Z_]+\])?(?::|$)"
)
_PYTEST_TYPE = re.compile(r"^[^\s:][^:\n]*?\.pyx?:\d+: (?P<type>[A-Za-z_][\w.]*)\s*$")
_PY_ASSERT = re.compile(r"^(?:E\s+)?assert\b")
# node's test runner wraps the error: "Error [ERR_TEST_FAILURE]: ... cause: RangeError [Error]: ..."
_CAUSE = re.compile(r"^\s*cause: (?P<type>[A-Za-z_$][\w$.]*)(?: \[\w+\])?:", re.MULTILINE)
_JS_CONTEXT = re.compile(r"^\s*>\s*\d+\s*\|(?P<code>.*)$")
_ENDPOINT = re.compile(
    r"(?P<host>\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]+\]|::1|"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})[:/ ](?:port )?(?P<port>\d{1,5})\b"
)
_HOST = re.compile(
    r"(?:ENOTFOUND|EAI_AGAIN|resolve host:?|UnknownHostException:|host)\s+['\"]?"
    r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
# where a trace names the endpoint: pytest shows a frame's arguments ("address = ('db', 5432)",
# "url = 'http://cache:6379/x'", "host = 'payments.example'")
_TRACE_ENDPOINTS = (
    re.compile(r"\(\s*['\"](?P<host>[\w.-]+|\[[0-9a-fA-F:]+\])['\"]\s*,\s*(?P<port>\d{1,5})\s*\)"),
    re.compile(
        r"\b(?:https?|wss?|postgres(?:ql)?|redis|mysql|amqp|mongodb)://(?:[^@/\s'\"]+@)?"
        r"(?P<host>[\w.-]+)(?::(?P<port>\d{1,5}))?"
    ),
    re.compile(r"\bhost(?:name)?\s*[=:]\s*['\"](?P<host>[\w.-]+)['\"]"),
)
_MODULE = re.compile(
    r"(?:No module named|Cannot find module|cannot import name)\s+['\"]([^'\"]+)['\"]"
)
_SIGNAL = re.compile(r"SIG(SEGV|ABRT|BUS|ILL|FPE|KILL)|returncode[=:]\s*-(\d+)|signal (\d+)", re.I)
_SIGNALS = {
    "4": "SIGILL",
    "6": "SIGABRT",
    "7": "SIGBUS",
    "8": "SIGFPE",
    "9": "SIGKILL",
    "11": "SIGSEGV",
}
_JS_EXT = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")


def scrub(text: str) -> str:
    """*text* with what varies between two failures of one cause replaced by placeholders:
    quoted values, addresses, UUIDs and hashes, paths, numbers; whitespace collapsed."""
    text = _QUOTED.sub("<str>", text)
    text = _UUID.sub("<uuid>", text)
    text = _ADDR.sub("<addr>", text)
    text = _HEX.sub("<hex>", text)
    text = _PATH.sub("<path>", text)
    text = _NUM.sub("<n>", text)
    return _SPACE.sub(" ", text).strip()


def _short_type(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def exception_type(message: str | None, trace: str | None) -> str:
    """The exception type a failure reports (``ValueError``, ``TypeError``,
    ``NullPointerException``, ``AssertionError``), or ``""`` when none is named."""
    msg = (message or "").strip()
    first = msg.splitlines()[0] if msg else ""
    text = trace or ""
    cause = _CAUSE.search(text) if "cause: " in text else None
    if cause:
        return _short_type(cause.group("type"))
    if ".py:" in text:
        for line in reversed(text.splitlines()):
            m = _PYTEST_TYPE.match(line) if ".py" in line else None
            if m:
                return _short_type(m.group("type"))
    m = _TYPE_AT_START.match(first)
    if m:
        return _short_type(m.group("type"))
    if _PY_ASSERT.match(first):
        return "AssertionError"
    # the trace without its frame and source lines: where a type can be named
    for line in error_lines(text).splitlines():
        s = line.strip()
        m = _TYPE_AT_START.match(s)
        if m:
            return _short_type(m.group("type"))
        if _PY_ASSERT.match(s):
            return "AssertionError"
    if first.startswith("expect(") or "expect(received)" in (trace or ""):
        return "expect"
    return ""


def _norm_path(path: str) -> str:
    p = path.replace("file://", "").replace("\\", "/")
    parts = [x for x in p.split("/") if x and x != "."]
    if p.startswith("/") or re.match(r"^[A-Za-z]:", p):
        parts = parts[-2:]  # absolute: where the checkout lives differs between machines
    return _NUM.sub("<n>", "/".join(parts))


def _anonymous(func: str | None) -> bool:
    return not func or "<anonymous>" in func or func.startswith(("Object.", "Context.", "Test."))


def _js_context(trace: str | None) -> str | None:
    for line in (trace or "").splitlines():
        m = _JS_CONTEXT.match(line)
        if m:
            return m.group("code").strip()
    return None


def _location(frame: Frame, test: TestCase, trace: str | None) -> str:
    where = _norm_path(frame.path)
    func = frame.function
    context = frame.context
    if frame.path.endswith(_JS_EXT) and context is None:
        context = _js_context(trace)
    if not _anonymous(func):
        where += f"::{func}"
    elif context is None:
        # an anonymous test body with no source shown: the test's own name (parameters
        # scrubbed) is the only thing that tells two of them apart
        where += f"::{scrub(test.name)}"
    if context:
        where += f" `{scrub(context)}`"
    return where


@dataclass(frozen=True, slots=True)
class Signature:
    """What a fingerprint is made of, readable: the kind of failure, where, and its subject."""

    #: the exception type (``ValueError``), or the infrastructure kind, or the category
    kind: str
    #: the normalised location (``app/pricing.py::apply `total = <n> / count```), or ""
    where: str
    #: what the failure is about when no location decides: an endpoint, a module, a message
    subject: str
    category: str

    @property
    def key(self) -> str:
        return f"{self.category}|{self.kind}|{self.where}|{self.subject}"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8", "replace")).hexdigest()[:16]

    def describe(self) -> str:
        """``ValueError in helpers.py::check``, ``connection refused (db:5432)``."""
        if self.category == "infrastructure":
            return f"{self.kind}" + (f" ({self.subject})" if self.subject else "")
        text = self.kind or self.category
        if self.where:
            text += f" in {self.where}"
        elif self.subject:
            text += f": {self.subject}"
        return text


def _endpoint(said: str, trace: str) -> str:
    """``host:port`` (or ``host``) of the dependency an infrastructure failure names: in the
    error's own words first, then in the arguments a trace shows."""
    m = _ENDPOINT.search(said)
    if m:
        return f"{m.group('host')}:{m.group('port')}"
    h = _HOST.search(said)
    if h:
        return h.group("host")
    for rx in _TRACE_ENDPOINTS:
        m = rx.search(trace)
        if m:
            port = m.groupdict().get("port")
            return f"{m.group('host')}:{port}" if port else m.group("host")
    return ""


def _signal(text: str) -> str:
    m = _SIGNAL.search(text)
    if not m:
        return "signal"
    if m.group(1):
        return f"SIG{m.group(1).upper()}"
    num = m.group(2) or m.group(3) or ""
    return _SIGNALS.get(num, f"signal {num}")


def signature(
    test: TestCase, rules: Sequence[CategoryRule] = (), *, category: str | None = None
) -> Signature:
    """The signature of a failed or errored *test* (see the module docstring)."""
    cat = category or test.category or categorize(test, rules) or "exception"
    message = test.message or ""
    trace = test.trace or ""
    said = f"{message}\n{error_lines(trace)}"
    if cat == "infrastructure":
        kind = infrastructure_kind(said) or infrastructure_kind(trace) or "infrastructure"
        subject = ""
        subject = _endpoint(f"{message}\n{error_lines(trace, ends=False)}", trace)
        if kind == "DNS":
            subject = subject.rsplit(":", 1)[0] if subject.count(":") == 1 else subject
        return Signature(kind, "", subject, cat)
    frame = app_frame(trace)
    etype = exception_type(message, trace)
    if cat == "collection":
        m = _MODULE.search(said)
        if m:
            return Signature(etype or "ImportError", "", m.group(1), cat)
    if cat == "crash":
        where = _location(frame, test, trace) if frame is not None else ""
        return Signature(_signal(said), where, "", cat)
    if frame is not None:
        return Signature(etype or cat, _location(frame, test, trace), "", cat)
    first = message.strip().splitlines()[0] if message.strip() else ""
    if not first:
        first = error_lines(trace).strip().splitlines()[0] if error_lines(trace).strip() else ""
    subject = scrub(first)[:300]
    if not subject or cat in ("timeout", "collection"):
        # nothing said, or only "timed out" / "failed to load": without a place in the code
        # only the test (its file, its name with parameters scrubbed) tells causes apart
        name = _norm_path(test.name) if "/" in test.name else scrub(test.name)
        subject = f"{subject} ({name})" if subject else name
    return Signature(etype or cat, "", subject, cat)


def fingerprint(test: TestCase, rules: Sequence[CategoryRule] = ()) -> str:
    """The fingerprint of a failed or errored *test*: 16 hexadecimal digits, equal for two
    failures with one cause. Uses ``test.category`` when set, else categorises with *rules*."""
    return signature(test, rules).fingerprint
