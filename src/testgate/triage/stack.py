"""Stack frames read from the traces test runners write, and which of them are the project's.

One parser per trace family, all tolerant: a line that is no frame is skipped, never an error.

- pytest's long and short formats (``path.py:12: in name`` / ``path.py:12: ValueError``, the
  function read from the ``def`` line of the frame's source), and Python's own tracebacks
  (``File "path.py", line 12, in name``);
- JavaScript (V8: ``at name (path.js:12:5)``, ``at path.js:12:5``; Node's ``node:internal``);
- the JVM (``at pkg.Class.method(File.java:12)``) and .NET (``at Ns.Class.Method() in
  path.cs:line 12``);
- Go (``    file_test.go:12: message``).

Frames come innermost last, as Python prints them; :func:`innermost_app_frame` walks from there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Frame", "app_frame", "error_lines", "in_app", "innermost_app_frame", "parse_frames"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame: where it is, and the source line it failed on when the trace shows it."""

    path: str
    line: int | None = None
    function: str | None = None
    #: the statement (pytest's ``>`` line, a traceback's code line), when shown
    context: str | None = None


# pytest long format: a frame ends with "path.py:12: ExcType" or "path.py:12: " (an inner
# call follows); short format: "path.py:12: in name"
_PYTEST_END = re.compile(
    r"^(?P<path>[^\s:>][^:\n]*?\.pyx?):(?P<line>\d+):(?: in (?P<func>\S+)| .*)?$"
)
_PY_NATIVE = re.compile(r'^\s*File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<func>\S+))?')
_PY_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(?P<func>\w+)\s*\(")
# V8: "at fn (file:1:2)", "at file:1:2", "at async fn (file:1:2)", "at new Foo (file:1:2)"
_JS = re.compile(
    r"^\s*at (?:(?:async |new )?(?P<func>[^\s(][^(]*?) \()?(?P<path>(?:file://)?[^\s()]+?):"
    r"(?P<line>\d+):(?P<col>\d+)\)?\s*$"
)
_JVM = re.compile(
    r"^\s*at (?P<func>[\w$.<>]+)\((?P<path>[\w$.-]+\.(?:java|kt|scala|groovy)):(?P<line>\d+)\)"
)
_DOTNET = re.compile(r"^\s*at (?P<func>[^\s(]+)\([^)]*\) in (?P<path>.+?):line (?P<line>\d+)\s*$")
# the same formats over a whole trace at once (a run can hold tens of thousands of failures:
# one scan in C per trace instead of a few regular expressions per line in Python)
_NATIVE_BLOCK = re.compile(
    r'^[ \t]*File "[^"\n]+", line \d+[^\n]*(?:\n(?![ \t]*File ")[^\n]*)?(?:\n|$)', re.MULTILINE
)
_SHORT_BLOCK = re.compile(
    r"^[^\s:][^:\n]*?\.pyx?:\d+: in \S+[ \t]*(?:\n[^\n]*)?(?:\n|$)", re.MULTILINE
)
# greedy, not lazy: the match always runs to the end of its line, and a lazy ``*?`` tries the
# three endings at every character of every frame line (5x slower on a JVM trace)
_AT_LINE = re.compile(r"^[ \t]*at [^\n]*(?:\)|:\d+:\d+|:line \d+)[ \t]*(?:\n|$)", re.MULTILINE)
_CODE_FRAME_ML = re.compile(
    r"^(?:[ \t]*>?[ \t]*\d+[ \t]*\|[^\n]*|[ \t]*\|[ \t]*[~^]+[ \t]*|[ \t]*[~^]{3,}[ \t]*)(?:\n|$)",
    re.MULTILINE,
)
_GO = re.compile(r"^\s+(?P<path>[\w./-]+_test\.go|[\w./-]+\.go):(?P<line>\d+):")


def _py_long(lines: list[str]) -> list[Frame]:
    """pytest's long/auto format (frames separated by an end line) and its short format."""
    frames: list[Frame] = []
    start = 0
    for i, text in enumerate(lines):
        m = _PYTEST_END.match(text) if ".py" in text else None
        if not m:
            continue
        func = m.group("func")
        context = None
        if func is None or i + 1 < len(lines):
            body = lines[start:i]
            for b in reversed(body):
                if func is None:
                    d = _PY_DEF.match(b)
                    if d:
                        func = d.group("func")
                        break
            for b in body:
                if b.startswith(">"):
                    context = b[1:].strip()
        if context is None and m.group("func") and i + 1 < len(lines):
            nxt = lines[i + 1].strip()  # short format: the statement follows its frame line
            if nxt and not nxt.startswith(("E ", "_ _")) and not _PYTEST_END.match(nxt):
                context = nxt
        frames.append(Frame(m.group("path"), int(m.group("line")), func, context))
        start = i + 1
    return frames


def parse_frames(trace: str | None) -> list[Frame]:
    """Every frame found in *trace*, outermost first (an empty list when none is found)."""
    if not trace:
        return []
    return list(_parse_frames(trace))


@functools.lru_cache(maxsize=2048)
def _parse_frames(trace: str) -> tuple[Frame, ...]:
    # cheap substring tests pick the lines worth a regular expression: a run can have tens of
    # thousands of failures with 16 kB traces each
    lines = trace.splitlines()
    if 'File "' in trace:
        native: list[Frame] = []
        for i, text in enumerate(lines):
            if 'File "' not in text:
                continue
            m = _PY_NATIVE.match(text)
            if m:
                ctx = lines[i + 1].strip() if i + 1 < len(lines) else None
                if ctx and (ctx.startswith(("File ", "^", "~")) or _PY_NATIVE.match(lines[i + 1])):
                    ctx = None
                native.append(Frame(m.group("path"), int(m.group("line")), m.group("func"), ctx))
        if native:
            return tuple(native)
    if ".py" in trace:
        pyl = _py_long(lines)
        if pyl:
            return tuple(pyl)
    out: list[Frame] = []
    at_lines = [ln for ln in lines if ln.lstrip().startswith("at ")]
    if at_lines:
        order = _frame_order(trace)
        for text in at_lines:
            for rx in order:
                m = rx.match(text)
                if m:
                    func = m.group("func")
                    out.append(
                        Frame(m.group("path"), int(m.group("line")), func.strip() if func else None)
                    )
                    break
    if out:
        return tuple(out[::-1])  # JS, JVM and .NET print the innermost frame first
    if ".go:" in trace:
        for text in lines:
            m = _GO.match(text) if ".go:" in text else None
            if m:
                out.append(Frame(m.group("path"), int(m.group("line"))))
    return tuple(out)


# frames in these places are the runtime's, a library's or the test runner's, not the project's
_NOT_APP = re.compile(
    r"(?:^|[/\\])(?:site-packages|dist-packages|node_modules|lib[/\\]python\d[\d.]*|"
    r"_pytest|pluggy|unittest|importlib|asyncio|\.pyenv|\.nvm|jest-circus|jest-runner)(?:[/\\]|$)"
    r"|^(?:node:|internal[/\\]|<frozen |<string>|<anonymous>)"
    r"|^(?:java|javax|jdk|sun|kotlin|scala|org\.junit|junit|org\.opentest4j|org\.testng|"
    r"org\.apache\.maven|org\.gradle|System|Microsoft|NUnit|Xunit)\."
)
_JVM_FRAMEWORK = re.compile(
    r"^(?:java|javax|jdk|sun|kotlin|scala|org\.junit|junit|org\.opentest4j|org\.testng|"
    r"org\.apache\.maven|org\.gradle|org\.assertj|org\.hamcrest|System|Microsoft|NUnit|Xunit)\."
)


def in_app(frame: Frame) -> bool:
    """Whether *frame* is in the project's own code (not a library, the runtime or a runner)."""
    if _NOT_APP.search(frame.path.replace("file://", "")):
        return False
    return not (frame.function and _JVM_FRAMEWORK.match(frame.function))


@functools.lru_cache(maxsize=2048)
def app_frame(trace: str | None) -> Frame | None:
    """The innermost frame of the project's own code in *trace* (what a fingerprint needs):
    JavaScript, JVM and .NET traces print it first, so reading stops there."""
    if not trace:
        return None
    if 'File "' in trace or ".py" in trace:
        return innermost_app_frame(parse_frames(trace))
    if "at " in trace:
        order = _frame_order(trace)
        for text in trace.splitlines():
            if not text.lstrip().startswith("at "):
                continue
            for rx in order:
                m = rx.match(text)
                if m:
                    func = m.group("func")
                    f = Frame(m.group("path"), int(m.group("line")), func.strip() if func else None)
                    if in_app(f):
                        return f
                    break
        return None
    return innermost_app_frame(parse_frames(trace))


def _frame_order(trace: str) -> tuple[re.Pattern[str], ...]:
    """The likeliest frame format first: V8's pattern is the costliest to try on a JVM line."""
    if any(ext in trace for ext in (".java:", ".kt:", ".scala:", ".groovy:")):
        return (_JVM, _JS)
    if ":line " in trace:
        return (_DOTNET, _JS)
    return (_JS,)


def innermost_app_frame(frames: Sequence[Frame]) -> Frame | None:
    """The innermost frame in the project's code; None when every frame is a library's."""
    for f in reversed(frames):
        if in_app(f):
            return f
    return None


_CODE_FRAME = re.compile(r"^\s*>?\s*\d+\s*\|.*$|^\s*\|\s*[~^]+\s*$|^\s*[~^]{3,}\s*$")


def error_lines(trace: str | None, *, ends: bool = True) -> str:
    """The lines of *trace* that describe the error, without source code or frame lines.

    pytest's long format shows whole functions around its ``E`` lines; matching categories
    against that source would read a word in the code (``timeout=``) as the error's. With
    ``ends=False`` pytest's ``path.py:12: ValueError`` lines are left out too.
    """
    if not trace:
        return ""
    return _error_lines(trace, ends)


@functools.lru_cache(maxsize=2048)
def _error_lines(trace: str, ends: bool) -> str:
    if trace.startswith("E ") or "\nE " in trace:
        lines = trace.splitlines()
        keep = [line[1:].strip() for line in lines if line.startswith("E ")]
        if ends:  # "path.py:12: ValueError": names the exception type
            keep += [
                ln
                for ln in lines
                if ".py" in ln and not ln.endswith(": ") and _PYTEST_END.match(ln)
            ]
        return "\n".join(keep)
    text = trace
    if 'File "' in text:
        text = _NATIVE_BLOCK.sub("", text)
    if ".py" in text:
        text = _SHORT_BLOCK.sub("", text)  # pytest's short format: frame line and statement
    if "at " in text:
        text = _AT_LINE.sub("", text)
    if "|" in text or "^" in text or "~" in text:
        text = _CODE_FRAME_ML.sub("", text)
    return text
