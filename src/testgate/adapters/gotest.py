"""Go's ``go test -json`` stream (``test2json``): one JSON event per line.

Each test's last ``pass``/``fail``/``skip`` event decides its outcome and ``Elapsed`` its
duration; its ``output`` events are kept (bounded) and become the trace of a failed test, and
the message of a skipped one. Subtests (``TestA/case_1``) are tests of their own, as
go-junit-report and gotestsum count them. A test that runs again in the same stream
(``go test -count=N``, ``gotestsum --rerun-fails`` writing its reruns to the same ``--jsonfile``)
is one test with several attempts, by the rule every reader shares
(:mod:`testgate.adapters._attempts`): the last outcome counts, durations add up, a pass after a
failure is flaky. A package that failed without a failing test (a build
error, a panic in ``init``, a timeout) becomes one error named ``(package)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.adapters._attempts import merge_attempt
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


__all__ = ["ADAPTERS", "GoTestAdapter", "read_gotest"]

_DONE: dict[str, TestStatus] = {"pass": "passed", "fail": "failed", "skip": "skipped"}
# output kept per test: a little more than a trace holds
_OUTPUT_CAP = MAX_TRACE_CHARS + 1024
PACKAGE_LEVEL_NAME = "(package)"


class _Test:
    __slots__ = ("earlier", "elapsed", "out", "out_len", "status")

    def __init__(self) -> None:
        self.status: TestStatus | None = None
        self.elapsed = 0.0
        self.out: list[str] = []
        self.out_len = 0
        #: the finished earlier attempts of a test run again, as TestCases
        self.earlier: list[TestCase] = []

    def add_output(self, text: str) -> None:
        if self.out_len < _OUTPUT_CAP:
            self.out.append(text)
            self.out_len += len(text)


def _message(output: str, status: str) -> str | None:
    """The most telling line of a test's output: an error line, else the --- FAIL/SKIP line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for ln in lines:
        if not ln.startswith(("=== ", "--- ", "# ")):
            return ln
    for ln in lines:
        if ln.startswith("--- "):
            return ln
    return None


def read_gotest(path: Path) -> list[TestCase]:
    report = str(path)
    tests: dict[tuple[str, str], _Test] = {}
    packages: dict[str, _Test] = {}
    seen = False
    try:
        fh = open(path, encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror})") from None
    lineno = 0
    try:
        with fh:
            for raw in fh:
                lineno += 1
                line = raw.strip()
                if not line:
                    continue
                if not line.startswith("{"):
                    # go test -json mixes in plain lines (build errors on stderr redirected,
                    # "FAIL" summaries of old versions): not events, not an error
                    continue
                try:
                    ev = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"{path}:{lineno}: not a go test -json event ({exc.msg}, column "
                        f"{exc.colno})",
                        slug="malformed-report",
                    ) from None
                except RecursionError:
                    raise InputError(
                        f"{path}:{lineno}: JSON nested too deeply to be a go test -json event",
                        slug="malformed-report",
                    ) from None
                if not isinstance(ev, dict) or "Action" not in ev:
                    continue
                seen = True
                action = ev.get("Action")
                pkg = str(ev.get("Package") or ev.get("ImportPath") or "")
                if " [" in pkg:
                    # build events name the test binary: "pkg [pkg.test]"
                    pkg = pkg.split(" [", 1)[0]
                name = ev.get("Test")
                if name:
                    t = tests.get((pkg, name))
                    if t is None:
                        t = tests[pkg, name] = _Test()
                else:
                    t = packages.get(pkg)
                    if t is None:
                        t = packages[pkg] = _Test()
                if action == "run" and name and t.status is not None:
                    # it finished before: this run is another attempt of the same test
                    t.earlier.append(_case(pkg, name, t, t.status, report))
                    t.out, t.out_len, t.elapsed, t.status = [], 0, 0.0, None
                if action in ("output", "build-output"):
                    t.add_output(str(ev.get("Output") or ""))
                elif action in _DONE:
                    t.status = _DONE[action]
                    elapsed = ev.get("Elapsed")
                    if isinstance(elapsed, (int, float)) and elapsed > 0:
                        t.elapsed = float(elapsed)
                elif action == "build-fail":
                    t.status = "failed"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}:{lineno + 1}: not UTF-8 text ({exc.reason})", slug="malformed-report"
        ) from None
    if lineno == 0 or _blank(path):
        raise InputError(f"{path}:1: report is empty", slug="empty-report")
    if not seen:
        raise InputError(f"{path}:1: not a go test -json stream (no event with an 'Action')")
    out: list[TestCase] = []
    failed_pkgs: set[str] = set()
    for (pkg, name), t in tests.items():
        pkg_status = packages[pkg].status if pkg in packages else None
        status: TestStatus | None = t.status
        if status is None:
            # started but never finished: the package panicked or timed out under it
            status = "failed" if pkg_status == "failed" else "skipped"
        if status == "failed":
            failed_pkgs.add(pkg)
        tc = _case(pkg, name, t, status, report)
        for before in reversed(t.earlier):
            tc = merge_attempt(before, tc)
        out.append(tc)
    for pkg, p in packages.items():
        if p.status == "failed" and pkg not in failed_pkgs:
            output = "".join(p.out).strip()
            out.append(
                TestCase(
                    suite=pkg,
                    classname=pkg,
                    name=PACKAGE_LEVEL_NAME,
                    status="error",
                    duration_s=p.elapsed,
                    message=bounded(
                        _message(output, "failed") or "package failed", MAX_MESSAGE_CHARS
                    ),
                    trace=bounded(output or None, MAX_TRACE_CHARS),
                    report=report,
                )
            )
    return out


def _case(pkg: str, name: str, t: _Test, status: TestStatus, report: str) -> TestCase:
    output = "".join(t.out)
    message = trace = None
    if status == "failed":
        trace = output.strip() or None
        message = _message(output, status) or "failed"
        if t.status is None:
            message = f"did not finish (the package failed): {message}"
    elif status == "skipped":
        message = _message(output, status)
    return TestCase(
        suite=pkg,
        classname=pkg,
        name=name,
        status=status,
        duration_s=t.elapsed,
        message=bounded(message, MAX_MESSAGE_CHARS),
        trace=bounded(trace, MAX_TRACE_CHARS),
        report=report,
    )


class GoTestAdapter:
    """``go test -json`` / test2json."""

    name = "gotest"
    kind = "tests"
    description = "Go test2json stream (go test -json, gotestsum --jsonfile)"

    def sniff(self, head: str, path: Path) -> int:
        for line in head.lstrip("\ufeff").splitlines()[:20]:
            s = line.strip()
            if not s:
                continue
            if s.startswith("{") and '"Action"' in s and ('"Package"' in s or '"Test"' in s):
                return 90
            if not s.startswith("{"):
                continue
            return 0
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return ReportData(tests=read_gotest(path))


ADAPTERS: list[Any] = [GoTestAdapter()]
