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

import html
import re
from itertools import compress, repeat
from operator import countOf, itemgetter
from pathlib import Path
from typing import cast

from lxml import etree

from testgate._gc import paused
from testgate.adapters._memo import Memo
from testgate.adapters._paths import PathNormalizer
from testgate.adapters._xml import expect_root, iterparse, parse_with_target
from testgate.adapters.registry import ReadContext, read_head
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


# where a class's lines are: its own, else its methods' (see the module docstring)
_LINE_PATHS = ("lines/line", "methods/method/lines/line")

_Lines = dict[int, int]
_Branches = dict[int, tuple[int, int]]


def _element_lines(path: Path, cls: etree._Element, where: str) -> tuple[_Lines, _Branches]:
    lines: _Lines = {}
    branches: _Branches = {}
    for el in cls.iterfind(where):
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
                branches[n] = br if prev is None else _best(prev, br)
    return lines, branches


def _class_lines(path: Path, cls: etree._Element) -> tuple[_Lines, _Branches]:
    """A class's own lines, or its methods' lines when it has none of its own."""
    for where in _LINE_PATHS:
        got = _element_lines(path, cls, where)
        if got[0] or got[1]:
            return got
    return {}, {}


_MB = "missing-branches"
_Missing = dict[int, frozenset[str]]


def _missing_ids(attrs: list[dict[str, str]]) -> _Missing:
    """Line -> the destinations coverage.py lists in ``missing-branches`` (``7,exit``).

    Only coverage.py writes the attribute; the selection runs in C, so reports without it
    pay one pass of ``dict.__contains__``.
    """
    out: _Missing = {}
    for a in compress(attrs, map(dict.__contains__, attrs, repeat(_MB))):
        try:
            n = int(a["number"])
        except (KeyError, ValueError):
            continue
        ids = [x.strip() for x in a[_MB].split(",") if x.strip()]
        if ids:
            out[n] = frozenset(ids) if n not in out else out[n] | frozenset(ids)
    return out


def _partial_ids(branches: _Branches, missing: _Missing) -> _Missing:
    """The ids of the partly covered lines whose ids account for every missed branch."""
    out: _Missing = {}
    for n, ids in missing.items():
        br = branches.get(n)
        if br is not None and 0 < br[0] < br[1] and len(ids) == br[1] - br[0]:
            out[n] = ids
    return out


class _Collector:
    """Parser target for the fast path: keeps each ``<line>``'s attributes, per class.

    Only start tags are seen (asking lxml for end tags, or for text, doubles the callbacks), so
    a ``<lines>`` that directly follows a ``<method>`` start is taken as that method's; any
    other is the class's own. A class's attribute dicts are turned into numbers in C-level
    ``map`` calls when the next class starts. ``<source>`` texts are taken from the head of the
    file (every producer writes them first); ``sources_seen`` lets the caller check that.
    """

    def __init__(self) -> None:
        self.files: dict[str, tuple[_Lines, _Branches]] = {}
        #: file name -> line -> missed branch ids (coverage.py's missing-branches)
        self.missing: dict[str, _Missing] = {}
        self.sources_seen = 0
        self.bad = False  # something the element-by-element reader must look at (and name)
        # lxml calls ``target.start`` once per element, a million times for 10k files: the
        # state lives in closure cells, which cost less to reach than attributes of ``self``
        class_lines: list[dict[str, str]] = []
        method_lines: list[dict[str, str]] = []
        into = class_lines.append
        prev = ""
        name: str | None = None
        ints = _Ints()

        def flush() -> None:
            nonlocal class_lines, method_lines, into, name
            if name is None:
                return
            attrs = class_lines or method_lines
            try:
                lines, branches = _convert(attrs, ints)
            except (KeyError, ValueError):
                self.bad = True
                lines, branches = {}, {}
            if branches:
                ids = _missing_ids(attrs)
                if ids:
                    _fold_ids(self.missing, name, ids)
            _fold(self.files, name, lines, branches)
            name = None
            class_lines, method_lines = [], []
            into = class_lines.append

        def start(tag: str, attrib: dict[str, str]) -> None:
            nonlocal into, prev, name
            if tag == "line":
                into(attrib)
                return
            if tag == "lines":
                into = (method_lines if prev == "method" else class_lines).append
            elif tag == "class":
                flush()
                name = attrib.get("filename") or attrib.get("name") or ""
            elif tag == "source":
                self.sources_seen += 1
            prev = tag

        self.start = start
        self.close = flush


_NUMBER = itemgetter("number")
_HITS = itemgetter("hits")
_CC = "condition-coverage"
_CC_TEXT = itemgetter(_CC)


class _CcMemo(dict[str, "tuple[int, int] | None"]):
    """Parsed condition-coverage texts: a report holds a handful ("50% (1/2)", ...)."""

    def __missing__(self, text: str) -> tuple[int, int] | None:
        br = parse_condition_coverage(text)
        if len(self) < 4096:
            self[text] = br
        return br


class _Ints(dict[str, int]):
    """``int(text)`` once per distinct text: a report repeats a few hundred line numbers and
    hit counts a million times, and a dict look-up costs less than parsing (``ValueError`` for
    a text that is not a whole number, as ``int`` raises)."""

    def __missing__(self, text: str) -> int:
        value = self[text] = int(text)
        return value


_CC_MEMO = _CcMemo()
#: the memo of numbers is cleared past this size (a report of huge, all-different counts)
_INTS_MAX = 1 << 16


def _cc_cached(text: str) -> tuple[int, int] | None:
    return _CC_MEMO[text]


_SOURCE = re.compile(r"<source>([^<]*)</source>")


def _convert(attrs: list[dict[str, str]], ints: _Ints | None = None) -> tuple[_Lines, _Branches]:
    """One class's ``<line>`` attributes as line -> hits and line -> (covered, total)."""
    if ints is None:
        ints = _Ints()
    elif len(ints) > _INTS_MAX:
        ints.clear()
    num = ints.__getitem__
    lines = dict(zip(map(num, map(_NUMBER, attrs)), map(num, map(_HITS, attrs)), strict=True))
    if len(lines) != len(attrs):  # a line listed twice: its best count wins
        lines = {}
        for a in attrs:
            n, h = int(a["number"]), int(a["hits"])
            if h > lines.get(n, -1):
                lines[n] = h
    # C-level selection: Python only sees the lines that carry condition-coverage
    marked = list(compress(attrs, map(dict.__contains__, attrs, repeat(_CC))))
    if not marked:
        return lines, {}
    if countOf(map(dict.get, marked, repeat("branch")), "true") == len(marked):
        # the usual case, in bulk: every marked line a branch line, each line once
        brs = list(map(_CC_MEMO.__getitem__, map(_CC_TEXT, marked)))
        if None not in brs:
            bulk = dict(zip(map(num, map(_NUMBER, marked)), brs, strict=True))
            if len(bulk) == len(marked):
                return lines, cast("_Branches", bulk)  # no None among them
    branches: _Branches = {}
    for a in marked:
        if a.get("branch") in _TRUE:
            br = _CC_MEMO[a[_CC]]
            if br is not None:
                n = int(a["number"])
                prev = branches.get(n)
                branches[n] = br if prev is None else _best(prev, br)
    return lines, branches


def _head_sources(path: Path) -> list[str]:
    """``<source>`` texts from the first bytes of the file, where producers write them."""
    return [s for s in (html.unescape(m).strip() for m in _SOURCE.findall(read_head(path))) if s]


# -- the text path: coverage.py's own layout, read with C-level regular expressions -----------
#
# coverage.py writes every <line> as one of two exact shapes, and nothing else inside its
# classes (<methods/>, <lines>). For such a report, a regular expression over the text finds the
# same lines as the parser target at a fraction of the cost (no Python call per element); the
# document is still parsed by lxml, without callbacks, so a malformed, hostile or truncated
# report fails exactly as before. Anything else (another producer's attribute order, method
# lines, comments or CDATA among the classes, entities in a file name, another encoding) sends
# the report to the parser target, before the text is read further.

# what follows ``<line number="`` in coverage.py's two shapes of <line>, up to the next one
_LINE_TAIL = re.compile(
    r'(\d+)" hits="(\d+)"'
    r'(?: branch="true" condition-coverage="([^"<&]*)"(?: missing-branches="([^"<&]*)")?)?/>'
)
_LINE_START = '<line number="'
#: among the classes, in one pass: comments, CDATA, declarations and processing instructions;
#: a <line>, <class> or <method> written another way (coverage.py writes ``<methods/>``: method
#: lines go to the parser target, which decides whose they are); a late <source>
_UNEXPECTED = re.compile(
    r'<(?:!|\?|source|line(?!s[\s>/]| number=")|class(?!es[\s>/]| )|method(?!s/>))'
)
_FILENAME = re.compile(r'\sfilename="([^"]*)"')
_NAME = re.compile(r'\sname="([^"]*)"')
_ENCODING = re.compile(r"""<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)""")
_TEXT_CHUNK = 4 * 1024 * 1024
#: producers write a few hundred bytes before the first class; past this, not coverage.py
_HEAD_MAX = 1024 * 1024
#: a line's text after ``<line number="`` -> ((number, hits), condition-coverage, missing-branches)
_Parsed = tuple[tuple[int, int], str, str]
_PAIR, _CCS, _MBS = itemgetter(0), itemgetter(1), itemgetter(2)
_Collected = tuple[dict[str, tuple[_Lines, _Branches]], dict[str, _Missing]]


def _parse_line(text: str) -> _Parsed:
    m = _LINE_TAIL.match(text)
    if m is None:
        raise KeyError(text)  # not one of coverage.py's shapes
    return (int(m[1]), int(m[2])), m[3] or "", m[4] or ""


class _Validate:
    """A parser target without callbacks: lxml checks the whole document in C."""

    def close(self) -> None:
        return None


def _text_class(piece: str, memo: Memo, out: _Collected) -> bool:
    """One ``<class ...>`` (without its ``<class `` opening) into *out*; False: not the shape."""
    gt = piece.find(">")
    if gt < 0:
        return False
    tag = piece[:gt]
    if tag.endswith("/") or tag.count('"') % 2 or "'" in tag:
        return False
    m = _FILENAME.search(" " + tag)
    name = m.group(1) if m else ""
    if not name:
        m = _NAME.search(" " + tag)
        name = m.group(1) if m else ""
    if any(c in name for c in "&\t\n\r"):
        return False  # entities and normalised white space: the parser knows them
    texts = piece.split(_LINE_START)
    try:
        found: list[_Parsed] = list(map(memo.__getitem__, texts[1:]))
    except KeyError:
        return False
    memo.seen += len(found)
    lines = dict(map(_PAIR, found))
    if len(lines) != len(found):  # a line listed twice: its best count wins
        lines = {}
        for (n, h), _cc, _mb in found:
            if h > lines.get(n, -1):
                lines[n] = h
    branches: _Branches = {}
    for (n, _h), cc, _mb in compress(found, map(_CCS, found)):
        br = _CC_MEMO[cc]
        if br is not None:
            prev = branches.get(n)
            branches[n] = br if prev is None else _best(prev, br)
    files, missing = out
    if branches:
        ids = _missing_ids(
            [{"number": str(t[0][0]), _MB: t[2]} for t in compress(found, map(_MBS, found))]
        )
        if ids:
            _fold_ids(missing, name, ids)
    _fold(files, name, lines, branches)
    return True


def _read_text(
    path: Path,
) -> tuple[dict[str, tuple[_Lines, _Branches]], dict[str, _Missing], list[str]] | None:
    """coverage.py's layout read from the text; ``None`` for anything else (see above)."""
    enc = _ENCODING.search(read_head(path))
    if enc is not None and enc.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    out: _Collected = ({}, {})
    memo = Memo(_parse_line)
    sources: list[str] | None = None
    classes = 0
    try:
        with open(path, encoding="utf-8-sig") as fh:
            rest = ""
            while True:
                block = fh.read(_TEXT_CHUNK)
                buf = rest + block
                if sources is None:  # the head: everything before the first class
                    first = buf.find("<class ")
                    if first < 0:
                        if not block or len(buf) > _HEAD_MAX:
                            # no class at all (the parser target says what it is), or one
                            # written another way: the text is not held any longer
                            return None
                        rest = buf
                        continue
                    head = buf[:first]
                    if head.count("<!--") != head.count("-->") or "<![" in head:
                        return None
                    if head.count("<line") != head.count("<lines"):
                        return None  # lines outside any class
                    got = _SOURCE.findall(head)
                    sources = [html.unescape(x).strip() for x in got]
                    if len(got) != head.count("<source") - head.count("<sources") or not all(
                        sources
                    ):
                        return None  # empty, split or unusual <source>s: the parser target
                    buf = buf[first:]
                cut = buf.rfind("</class>") if block else len(buf)
                if cut < 0:
                    rest = buf
                    continue
                body, rest = buf[:cut], buf[cut:]
                if _UNEXPECTED.search(body):
                    return None
                pieces = body.split("<class ")
                if _LINE_START in pieces[0]:
                    return None  # lines outside any class
                for piece in pieces[1:]:
                    if not _text_class(piece, memo, out):
                        return None
                if not memo.worth_it():
                    return None  # every line different: the parser target is as fast
                classes += len(pieces) - 1
                if not block:
                    break
    except UnicodeDecodeError:
        return None
    if not classes or sources is None:
        return None
    # the text had the shape; now the document must be well-formed XML, as the parser sees it
    parse_with_target(path, _Validate())
    files, missing = out
    return files, missing, sources


def read_cobertura(path: Path, ctx: ReadContext) -> ReportData:
    """Read one Cobertura report, streaming; memory holds the result, never the document.

    The fast path feeds the file to a parser target; a report with something unexpected (a
    line number that is not a number, a line without hits) is read again element by element,
    which names the offending line.
    """
    expect_root(path, "coverage", "Cobertura")
    with paused():  # no reference cycles among the objects a report makes
        text = _read_text(path)
        if text is not None:
            files, missing, sources = text
        else:
            collector = _Collector()
            parse_with_target(path, collector)
            sources = _head_sources(path)
            if collector.bad or collector.sources_seen != len(sources):
                # bad data to name by line, or <source> elements the head did not show
                # (written late, empty, or in CDATA): the element reader sees everything
                files, sources, missing = _read_elements(path)
            else:
                files, missing = collector.files, collector.missing
        norm = PathNormalizer(ctx.root, sources)
        cov = Coverage()
        for raw, (ls, bs) in files.items():
            if not raw:
                continue
            ids = missing.get(raw)
            cov.add(FileCoverage(norm(raw), ls, bs, _partial_ids(bs, ids) if ids else {}))
    return ReportData(coverage=cov)


def _read_elements(
    path: Path,
) -> tuple[dict[str, tuple[_Lines, _Branches]], list[str], dict[str, _Missing]]:
    """The element-by-element reader: slower, and it names the line of any error."""
    files: dict[str, tuple[_Lines, _Branches]] = {}
    sources: list[str] = []
    missing: dict[str, _Missing] = {}
    for _event, el in iterparse(path, ("end",), tag=("class", "package", "source")):
        tag = el.tag
        if tag == "class":
            name = el.get("filename") or el.get("name") or ""
            lines, branches = _class_lines(path, el)
            if branches:
                ids = _missing_ids(
                    [
                        {"number": x.get("number") or "", _MB: x.get(_MB) or ""}
                        for x in el.iter("line")
                        if x.get(_MB)
                    ]
                )
                if ids:
                    _fold_ids(missing, name, ids)
            _fold(files, name, lines, branches)
            _drop(el)
        elif tag == "package":
            _drop(el)
        elif el.text and el.text.strip():  # source
            sources.append(el.text.strip())
    return files, sources, missing


def _fold_ids(missing: dict[str, _Missing], name: str, ids: _Missing) -> None:
    have = missing.get(name)
    if have is None:
        missing[name] = ids
    else:
        for n, x in ids.items():
            have[n] = have[n] | x if n in have else x


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
