"""JaCoCo XML (Maven, Gradle, the JaCoCo CLI and Ant tasks, and look-alikes: Pester, gcovr).

Line data lives in ``<package name="org/x"><sourcefile name="A.java"><line nr mi ci mb cb>``:
``ci``/``mi`` are covered/missed instructions on the line and ``cb``/``mb`` covered/missed
branches. A line is covered when at least one of its instructions ran, exactly as JaCoCo's own
``LINE`` counter counts it; the hit count kept is ``ci`` (JaCoCo records no execution counts).
The file path is the package name joined with the source file name, then normalised against the
repository root, where the source roots (``src/main/java``) are found by the file's tail.

gcovr's ``--jacoco`` output writes ``<line>`` elements without ``mi``/``ci`` (only branch counts
and file-level counters), so which lines ran is not in the file: such a report is refused with a
message naming gcovr's outputs that do say it, never read as 0 % covered.

JaCoCo always writes ``<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">``;
that reference is accepted and never loaded (see :mod:`testgate.adapters._xml`).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from testgate.adapters._paths import PathNormalizer
from testgate.adapters._xml import expect_root, iterparse
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "JacocoAdapter", "read_jacoco"]


def _int(path: Path, el: etree._Element, attr: str) -> int:
    v = el.get(attr)
    if v is None or v == "":
        return 0
    try:
        return int(v)
    except ValueError:
        raise InputError(
            f"{path}:{el.sourceline}: <{el.tag}> has {attr}={v!r}; expected a whole number",
            slug="malformed-report",
        ) from None


def read_jacoco(path: Path, ctx: ReadContext) -> ReportData:
    """Read one JaCoCo XML report, streaming (each ``<sourcefile>`` is freed once read)."""
    raw_files: list[tuple[str, dict[int, int], dict[int, tuple[int, int]]]] = []
    lines: dict[int, int] = {}
    branches: dict[int, tuple[int, int]] = {}
    saw_root = False
    saw_lines = saw_counts = False
    expect_root(path, "report", "JaCoCo")
    tags = ("package", "sourcefile", "line", "report")
    for _event, el in iterparse(path, ("end",), tag=tags):
        tag = el.tag
        if tag == "line":  # <line> only occurs inside <sourcefile>
            nr = el.get("nr")
            try:
                n = int(nr)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}:{el.sourceline}: <line> has nr={nr!r}; expected a line number",
                    slug="malformed-report",
                ) from None
            saw_lines = True
            if not saw_counts and (el.get("ci") is not None or el.get("mi") is not None):
                saw_counts = True
            ci = _int(path, el, "ci")
            old = lines.get(n)
            if old is None or ci > old:
                lines[n] = ci
            cb, mb = _int(path, el, "cb"), _int(path, el, "mb")
            if cb + mb > 0:
                prev = branches.get(n)
                if prev is None or cb + mb > prev[1]:
                    branches[n] = (cb, cb + mb)
        elif tag == "sourcefile":
            parent = el.getparent()
            package = parent.get("name", "") if parent is not None else ""
            name = el.get("name") or ""
            raw_files.append((f"{package}/{name}" if package else name, lines, branches))
            lines, branches = {}, {}
            el.clear()
        elif tag == "package":
            el.clear()  # its <class> elements are not needed: <sourcefile> holds the lines
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        else:  # report
            saw_root = True
    if not saw_root:
        raise InputError(
            f"{path}:1: not a JaCoCo report: no <report> root element", slug="malformed-report"
        )
    if saw_lines and not saw_counts:
        raise InputError(
            f"{path}:1: this JaCoCo report's <line> elements have no instruction counts (mi/ci), "
            "so which lines ran is not in the file (gcovr --jacoco writes it so); testgate "
            "refuses it rather than read it as 0% covered. Read gcovr's --cobertura, --lcov or "
            "--json output instead",
            slug="malformed-report",
        )
    norm = PathNormalizer(ctx.root)
    cov = Coverage()
    for raw, ls, bs in raw_files:
        cov.add(FileCoverage(norm(raw), ls, bs))
    return ReportData(coverage=cov)


class JacocoAdapter:
    name = "jacoco"
    kind = "coverage"
    description = "JaCoCo XML (Maven, Gradle, JaCoCo CLI; also Pester and gcovr --jacoco)"

    def sniff(self, head: str, path: Path) -> int:
        if "<report" not in head:
            return 0
        if "JACOCO" in head or "jacoco" in head or "<sessioninfo" in head:
            return 95
        if "<package" in head and ("<sourcefile" in head or "<counter" in head):
            return 80
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_jacoco(path, ctx)


ADAPTERS = [JacocoAdapter()]
