"""Clover XML: Atlassian/OpenClover (Java), PHPUnit/php-code-coverage, istanbul/nyc, gcovr.

Lines come from ``<file><line num type count truecount falsecount>``:

- ``type="stmt"``: a coverable line with ``count`` hits.
- ``type="cond"``: a coverable line with branches. Two dialects exist. istanbul writes ``count``
  (the line's hits) and uses ``truecount``/``falsecount`` for the number of covered/uncovered
  branches on the line; Clover proper writes no ``count`` and uses them for the number of times
  the condition was true/false, so the line has two branches, each covered when its count is
  positive, and its hits are ``truecount + falsecount``. The presence of ``count`` tells them
  apart, line by line.
- ``type="method"``: a method's declaration line. Clover counts it as a method, not a statement,
  so it is not a coverable line here either (as the ``statements`` metric says).

The file path is the ``path`` attribute when present (istanbul, gcovr), else ``name`` (Clover,
PHPUnit write absolute paths there), normalised against the repository root.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from testgate.adapters._paths import PathNormalizer
from testgate.adapters._xml import expect_root, iterparse
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "CloverAdapter", "read_clover"]


def _int(path: Path, el: etree._Element, attr: str, value: str | None) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except ValueError:
        raise InputError(
            f"{path}:{el.sourceline}: <line> has {attr}={value!r}; expected a whole number",
            slug="malformed-report",
        ) from None


def read_clover(path: Path, ctx: ReadContext) -> ReportData:
    """Read one Clover report, streaming (each ``<file>`` is freed once read)."""
    raw_files: list[tuple[str, dict[int, int], dict[int, tuple[int, int]]]] = []
    lines: dict[int, int] = {}
    branches: dict[int, tuple[int, int]] = {}
    saw_root = False
    expect_root(path, "coverage", "Clover")
    for _event, el in iterparse(path, ("end",), tag=("line", "file", "coverage")):
        tag = el.tag
        if tag == "line":
            a = el.attrib
            kind = a.get("type", "stmt")
            if kind == "method":
                continue
            num = a.get("num")
            try:
                n = int(num)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}:{el.sourceline}: <line> has num={num!r}; expected a line number",
                    slug="malformed-report",
                ) from None
            count = a.get("count")
            h = _int(path, el, "count", count)
            if kind == "cond":
                tc = _int(path, el, "truecount", a.get("truecount"))
                fc = _int(path, el, "falsecount", a.get("falsecount"))
                if count is None:  # Clover proper: times true, times false
                    h = tc + fc
                    br = ((tc > 0) + (fc > 0), 2)
                else:  # istanbul: covered branches, uncovered branches
                    br = (tc, tc + fc)
                if br[1] > 0:
                    prev = branches.get(n)
                    if prev is None or br[1] > prev[1] or br[0] > prev[0]:
                        branches[n] = br
            old = lines.get(n)
            if old is None or h > old:
                lines[n] = h
        elif tag == "file":
            raw = el.get("path") or el.get("name") or ""
            if raw:
                raw_files.append((raw, lines, branches))
            lines, branches = {}, {}
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        else:  # coverage
            saw_root = True
    if not saw_root:
        raise InputError(
            f"{path}:1: not a Clover report: no <coverage> root element", slug="malformed-report"
        )
    norm = PathNormalizer(ctx.root)
    cov = Coverage()
    for raw, ls, bs in raw_files:
        cov.add(FileCoverage(norm(raw), ls, bs))
    return ReportData(coverage=cov)


class CloverAdapter:
    name = "clover"
    kind = "coverage"
    description = "Clover XML (OpenClover, PHPUnit, istanbul/nyc, gcovr)"

    def sniff(self, head: str, path: Path) -> int:
        if "<coverage" not in head:
            return 0
        if "clover=" in head:
            return 95
        if "<project" in head and ("<metrics" in head or "<file" in head or "</project" in head):
            return 85
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_clover(path, ctx)


ADAPTERS = [CloverAdapter()]
