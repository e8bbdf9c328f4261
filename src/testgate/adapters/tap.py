"""TAP, the Test Anything Protocol (versions 12, 13 and 14): prove, node ``--test-reporter=tap``,
tap/node-tap, Bats, pytest-tap, and anything else that prints ``ok``/``not ok`` lines.

- ``ok``/``not ok`` test points; ``# SKIP`` is a skip; ``# TODO`` is a test not expected to
  work yet: skipped whether it passed or not, as node's ``# todo`` total and its JUnit reporter
  (``<skipped type="todo">``) count it, so that both reporters of one run agree.
- YAML diagnostics (``---`` ... ``...``) under a test point give the message, the stack and
  ``duration_ms``.
- Subtests are indented; a test point whose subtests came before it is a *suite*: its leaves are
  the tests (as node counts them), named under it. A failing suite with no failing subtest
  (a hook failed) is kept as one error.
- ``Bail out!`` and a plan (``1..N``) that promised more tests than ran each add one error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._text import strip_ansi
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


def _blank(path: Path) -> bool:
    """Whether the file holds nothing but whitespace (checked only when nothing was found)."""
    with open(path, "rb") as fh:
        return not any(chunk.strip() for chunk in iter(lambda: fh.read(1 << 16), b""))


__all__ = ["ADAPTERS", "TapAdapter", "read_tap"]

_POINT = re.compile(
    r"^(?P<ok>not ok|ok)\b[ \t]*(?P<num>\d+)?[ \t]*(?:-[ \t]*)?(?P<desc>.*?)"
    r"(?:[ \t]*(?<!\\)#[ \t]*(?P<dir>skip|todo)\S*[ \t]*(?P<reason>.*))?$",
    re.IGNORECASE,
)
_PLAN = re.compile(r"^1\.\.(\d+)")
_SUBTEST = re.compile(r"^#\s*Subtest:\s*(.*)$")
_BAIL = re.compile(r"^Bail out!\s*(.*)$", re.IGNORECASE)
_SNIFF_POINT = re.compile(r"^\s*(not )?ok\b", re.MULTILINE)
_SNIFF_PLAN = re.compile(r"^\s*1\.\.\d+", re.MULTILINE)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _yaml(lines: list[str]) -> dict[str, Any]:
    """Parse a YAML diagnostic block; anything unreadable is simply no diagnostics."""
    import textwrap

    import yaml

    try:
        data = yaml.safe_load(textwrap.dedent("\n".join(lines)))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


class _Point:
    """One test point with what its YAML block said."""

    __slots__ = ("children", "desc", "directive", "indent", "line", "ok", "reason", "yaml")

    def __init__(self, m: re.Match[str], indent: int, line: int) -> None:
        self.ok = m.group("ok").lower() == "ok"
        self.desc = m.group("desc").strip().replace("\\#", "#")
        self.directive = (m.group("dir") or "").lower()
        self.reason = (m.group("reason") or "").strip()
        self.indent = indent
        self.line = line
        self.yaml: dict[str, Any] = {}
        self.children: list[TestCase] = []


def _to_case(p: _Point, parents: list[str], report: str) -> TestCase:
    y = p.yaml
    status: TestStatus
    if p.directive == "skip":
        status = "skipped"
    elif p.directive == "todo":
        status = "skipped"  # node counts todo apart from pass; its JUnit says <skipped>
    else:
        status = "passed" if p.ok else "failed"
    message: str | None = None
    trace: str | None = None
    if status == "skipped":
        message = p.reason or ("TODO" if p.directive == "todo" else None)
    elif status == "failed":
        raw = y.get("message", y.get("error"))
        message = strip_ansi(str(raw)).strip() if raw is not None else None
        stack = y.get("stack")
        trace = strip_ansi(str(stack)).strip() if stack else None
        message = message or (trace.splitlines()[0] if trace else None)
    duration = 0.0
    ms = y.get("duration_ms")
    if isinstance(ms, (int, float)) and ms > 0:
        duration = float(ms) / 1000.0
    file = line = None
    loc = y.get("location")
    at = y.get("at")
    if isinstance(at, dict) and at.get("file"):  # node-tap, TAP::Harness: at: {file, line}
        file = str(at["file"])
        line = at.get("line") if isinstance(at.get("line"), int) else None
    elif isinstance(loc, str):
        m = re.match(r"^(?:file://)?(.*?):(\d+)(?::\d+)?$", loc)
        if m:
            file, line = m.group(1), int(m.group(2))
    return TestCase(
        suite=parents[-1] if parents else "",
        classname=" > ".join(parents),
        name=p.desc,
        status=status,
        duration_s=duration,
        file=file,
        line=line,
        message=bounded(message, MAX_MESSAGE_CHARS),
        trace=bounded(trace, MAX_TRACE_CHARS),
        report=report,
    )


def read_tap(path: Path) -> list[TestCase]:
    report = str(path)
    try:
        fh = open(path, encoding="utf-8-sig", newline=None)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror})") from None
    # completed test cases waiting for their parent, by indentation
    pending: dict[int, list[TestCase]] = {}
    points_at_top = 0
    plan: tuple[int, int] | None = None  # (count, line)
    last: _Point | None = None
    yaml_lines: list[str] | None = None
    yaml_indent = 0
    extra: list[TestCase] = []
    seen_any = False
    lineno = 0

    def finish(p: _Point) -> None:
        nonlocal points_at_top
        # every case waiting at a deeper indentation belongs to this point: it is a suite
        deeper = sorted(k for k in pending if k > p.indent)
        children: list[TestCase] = []
        for k in deeper:
            children.extend(pending.pop(k))
        if p.indent == 0:
            points_at_top += 1
        if children:
            for tc in children:
                tc.classname = f"{p.desc} > {tc.classname}" if tc.classname else p.desc
                if not tc.suite:
                    tc.suite = p.desc
            own_fail = not p.ok and p.directive != "todo"
            if own_fail and not any(c.status in ("failed", "error") for c in children):
                tc = _to_case(p, [], report)
                tc.status = "error"  # a hook or the suite itself failed
                children.append(tc)
            pending.setdefault(p.indent, []).extend(children)
        else:
            pending.setdefault(p.indent, []).append(_to_case(p, [], report))

    try:
        with fh:
            for raw in fh:
                lineno += 1
                line = raw.rstrip("\n")
                stripped = line.strip()
                if yaml_lines is not None:
                    if stripped == "..." and _indent(line) <= yaml_indent:
                        if last is not None:
                            last.yaml = _yaml(yaml_lines)
                        yaml_lines = None
                    else:
                        yaml_lines.append(line)
                    continue
                if not stripped:
                    continue
                ind = _indent(line)
                if stripped == "---" and last is not None and ind > last.indent:
                    yaml_lines = []
                    yaml_indent = ind
                    continue
                if last is not None:
                    finish(last)
                    last = None
                m = _POINT.match(stripped)
                if m:
                    last = _Point(m, ind, lineno)
                    seen_any = True
                    continue
                pm = _PLAN.match(stripped)
                if pm:
                    seen_any = True
                    if ind == 0:
                        plan = (int(pm.group(1)), lineno)
                    continue
                bm = _BAIL.match(stripped)
                if bm:
                    seen_any = True
                    extra.append(
                        TestCase(
                            suite="",
                            classname="",
                            name="Bail out!",
                            status="error",
                            message=bm.group(1) or "the test run bailed out",
                            report=report,
                        )
                    )
                if stripped.upper().startswith("TAP VERSION"):
                    seen_any = True
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}:{lineno + 1}: not UTF-8 text ({exc.reason}); TAP reports must be UTF-8",
            slug="malformed-report",
        ) from None
    if last is not None:
        if yaml_lines is not None:
            last.yaml = _yaml(yaml_lines)
        finish(last)
    if lineno == 0 or _blank(path):
        raise InputError(f"{path}:1: report is empty", slug="empty-report")
    if not seen_any:
        raise InputError(f"{path}:1: not a TAP report (no 'ok'/'not ok' lines or plan)")
    tests: list[TestCase] = []
    for k in sorted(pending):
        tests.extend(pending[k])  # deeper leftovers: a stream cut off inside a subtest
    if plan is not None and plan[0] > points_at_top and not extra:
        extra.append(
            TestCase(
                suite="",
                classname="",
                name="(plan)",
                status="error",
                message=f"the plan (line {plan[1]}) promised {plan[0]} tests but "
                f"{points_at_top} ran",
                report=report,
            )
        )
    return tests + extra


class TapAdapter:
    """TAP 12/13/14."""

    name = "tap"
    kind = "tests"
    description = "TAP 12/13/14 (prove, node --test-reporter=tap, node-tap, Bats), with subtests"

    def sniff(self, head: str, path: Path) -> int:
        first = head.lstrip("\ufeff").lstrip()
        if first.upper().startswith("TAP VERSION"):
            return 95
        if _SNIFF_POINT.search(head) and _SNIFF_PLAN.search(head):
            return 70
        if _SNIFF_POINT.match(first):
            return 40
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_tap(path))


ADAPTERS: list[Any] = [TapAdapter()]
