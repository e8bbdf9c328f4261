"""Cobertura XML: coverage.py, istanbul/nyc, gcovr, Cobertura (Ant/Maven), coverlet, simplecov,
gocover-cobertura, luacov and the other producers of ``<coverage line-rate=...>``.

Only the ``<line>`` elements matter: every total is derived from them, never from the
``line-rate``/``lines-valid`` attributes (producers round them, or leave them out).

A class's own ``<lines>`` are authoritative. ``<method>`` lines are used only for a class that has
no class-level lines: Cobertura, coverlet and gcovr repeat them at class level, while istanbul's
method lines are function *declaration* lines that are not statements (counting them would
disagree with istanbul's own ``lines-valid``), and some C++ converters write method lines only.
One source file is often split over several ``<class>`` elements (Java inner classes, C++
classes): within one report a line is counted once, with the highest hit count and the best
branch coverage seen for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from testgate.adapters._paths import PathNormalizer
from testgate.adapters._xml import expect_root, iterparse
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "CoberturaAdapter", "parse_condition_coverage", "read_cobertura"]

_COVERAGE_TAG = re.compile(r"<coverage\b[^>]*\b(line-rate|lineRate|lines-valid)\s*=", re.DOTALL)
_COND = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_TRUE = frozenset(("true", "True", "TRUE", "1"))


def parse_condition_coverage(text: str) -> tuple[int, int] | None:
    """``"50% (1/2)"`` -> ``(1, 2)``; ``None`` when the attribute says nothing usable."""
    m = _COND.search(text)
    if m is None:
        return None
    covered, total = int(m.group(1)), int(m.group(2))
    if total <= 0:
        return None
    return min(covered, total), total


def _bad(path: Path, el: etree._Element, what: str, value: str | None) -> InputError:
    return InputError(
        f"{path}:{el.sourceline}: <line> has {what}={value!r}; expected a whole number",
        slug="malformed-report",
    )


def read_cobertura(path: Path, ctx: ReadContext) -> ReportData:
    """Read one Cobertura report, streaming; memory stays bounded by the largest ``<class>``."""
    # raw filename -> (line -> hits, line -> (covered, total)); normalised at the end because
    # <sources> may come after <packages> (luacov writes it last)
    files: dict[str, tuple[dict[int, int], dict[int, tuple[int, int]]]] = {}
    sources: list[str] = []
    lines: dict[int, int] = {}
    branches: dict[int, tuple[int, int]] = {}
    # lines seen inside <method> elements of the current class
    mlines: dict[int, int] = {}
    mbranches: dict[int, tuple[int, int]] = {}
    saw_root = False
    expect_root(path, "coverage", "Cobertura")
    tags = ("line", "method", "class", "package", "source", "coverage")
    for _event, el in iterparse(path, ("end",), tag=tags):
        tag = el.tag
        if tag == "line":
            a = el.attrib
            num = a.get("number")
            hits = a.get("hits")
            try:
                n = int(num)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise _bad(path, el, "number", num) from None
            try:
                h = int(hits) if hits is not None else 0
            except ValueError:
                try:  # some converters write "3.0"
                    h = int(float(hits))  # type: ignore[arg-type]
                except ValueError:
                    raise _bad(path, el, "hits", hits) from None
            old = lines.get(n)
            if old is None or h > old:
                lines[n] = h
            if a.get("branch") in _TRUE:
                cc = a.get("condition-coverage")
                br = parse_condition_coverage(cc) if cc else None
                if br is not None:
                    prev = branches.get(n)
                    if prev is None or br[0] > prev[0] or br[1] > prev[1]:
                        branches[n] = br if prev is None else _best(prev, br)
        elif tag == "method":
            if lines or branches:
                _merge_into(mlines, mbranches, lines, branches)
                lines, branches = {}, {}
        elif tag == "class":
            name = el.get("filename") or el.get("name") or ""
            if lines or branches:
                _fold(files, name, lines, branches)
            elif mlines or mbranches:
                _fold(files, name, mlines, mbranches)
            else:
                files.setdefault(name, ({}, {}))  # a file with no coverable line still counts
            lines, branches, mlines, mbranches = {}, {}, {}, {}
            _drop(el)
        elif tag == "package":
            _drop(el)
        elif tag == "source":
            if el.text and el.text.strip():
                sources.append(el.text.strip())
        else:  # coverage
            saw_root = True
    if not saw_root:
        raise InputError(
            f"{path}:1: not a Cobertura report: no <coverage> root element",
            slug="malformed-report",
        )
    if lines or branches:  # <line> outside any <class>: keep it rather than lose it silently
        _fold(files, "", lines, branches)
    norm = PathNormalizer(ctx.root, sources)
    cov = Coverage()
    for raw, (ls, bs) in files.items():
        if not raw:
            continue
        cov.add(FileCoverage(norm(raw), ls, bs))
    return ReportData(coverage=cov)


def _best(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    total = max(a[1], b[1])
    return min(total, max(a[0], b[0])), total


def _fold(
    files: dict[str, tuple[dict[int, int], dict[int, tuple[int, int]]]],
    name: str,
    lines: dict[int, int],
    branches: dict[int, tuple[int, int]],
) -> None:
    """Merge one ``<class>``'s lines into its file: the same line seen twice is one line."""
    have = files.get(name)
    if have is None:
        files[name] = (lines, branches)
    else:
        _merge_into(have[0], have[1], lines, branches)


def _merge_into(
    hl: dict[int, int],
    hb: dict[int, tuple[int, int]],
    lines: dict[int, int],
    branches: dict[int, tuple[int, int]],
) -> None:
    for n, h in lines.items():
        old = hl.get(n)
        if old is None or h > old:
            hl[n] = h
    for n, b in branches.items():
        prev = hb.get(n)
        hb[n] = b if prev is None else _best(prev, b)


def _drop(el: etree._Element) -> None:
    """Free a finished element and the finished siblings before it (flat memory)."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class CoberturaAdapter:
    name = "cobertura"
    kind = "coverage"
    description = "Cobertura XML (coverage.py, istanbul/nyc, gcovr, Cobertura, coverlet, ...)"

    def sniff(self, head: str, path: Path) -> int:
        if "<coverage" not in head:
            return 0
        if "clover=" in head or "<project" in head:
            return 0  # Clover also has a <coverage> root
        if _COVERAGE_TAG.search(head):
            return 90
        if "cobertura" in head and "<packages" in head:
            return 70
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_cobertura(path, ctx)


ADAPTERS = [CoberturaAdapter()]
