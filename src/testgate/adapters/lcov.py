"""lcov tracefiles (``.info``): geninfo/lcov 1.x and 2.x, gcovr, istanbul/nyc, coverage.py,
c8, flutter, jacoco2lcov, solidity-coverage and every other producer of ``SF:``/``DA:`` records.

What is kept: ``DA:<line>,<hits>[,<checksum>]`` as line hits and ``BRDA:<line>,<block>,<branch>
[,<expr>],<taken>`` as per-line branch counts (``-`` means the branch's block never ran: taken 0).
Function records (``FN``, ``FNDA``, ``FNL``, ``FNA``), summaries (``LF``/``LH``, ``BRF``/``BRH``,
``FNF``/``FNH``), ``TN``, ``VER``, MC/DC records (``MCDC``, ``MCF``, ``MCH``), comments and
unknown records are skipped: every total is derived from the line records, never from a summary.

Several records for the same file (one per test name, or concatenated tracefiles) are merged as
``lcov --add-tracefile`` does: hit counts and branch-taken counts add up.
"""

from __future__ import annotations

import collections
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import compress
from json.scanner import make_scanner
from pathlib import Path
from typing import Any, cast

from testgate._gc import paused
from testgate.adapters._memo import Memo as _Memo
from testgate.adapters._paths import PathNormalizer
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "LcovAdapter", "read_lcov"]

# lcov writes counts as integers, but producers and `lcov` itself (2.x, on overflow) also write
# floats and scientific notation; a negative count is a producer bug that lcov reports and treats
# as zero, and so do we.


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        f = float(text)  # ValueError propagates: the caller names file and line
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(text) from None
        v = int(f)
    return v if v > 0 else 0


def _decode_error_line(path: Path) -> int:
    """The first line of *path* that is not UTF-8 (only called after decoding failed)."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 1


_Lines = dict[int, int]
_Branches = dict[int, tuple[int, int]]

# The fast path reads well-formed tracefiles record by record with C-level regular expressions;
# the first thing it does not expect (a checksum-free count that is not a plain number, a line
# listed twice, a file in two records, a truncated record, bad UTF-8) sends the whole file to the
# line-by-line reader below, which handles every case and names the offending line.
_CHUNK = 1024 * 1024
_DA = re.compile(r"^DA:(\d+),(\d+)(?:,[^\n]*)?$", re.MULTILINE)
# json's C scanner, called directly: json.loads adds a Python-level wrapper per call, and the
# fast path calls it twice per record
_scan = make_scanner(cast(Any, json.JSONDecoder()))


def _py_count_elements(mapping: dict[int, int], items: Iterable[int]) -> None:
    for item in items:
        mapping[item] = mapping.get(item, 0) + 1


# the C helper behind Counter.update, without Counter's Python-level overhead per call
_count_elements: Callable[[dict[int, int], Iterable[int]], None] = getattr(
    collections, "_count_elements", _py_count_elements
)

_NOT_PLAIN = re.compile(r"[^0-9,\s\[\]]")
# every well-formed BRDA line's line number and block/branch key, and the line numbers of the
# branches that were taken
_BRDA_LINE = re.compile(r"^BRDA:(\d+),([^\n]*),(?:\d+|-)[ \t]*$", re.MULTILINE)
_BRDA_TAKEN = re.compile(r"^BRDA:(\d+),[^\n]*,0*[1-9]\d*[ \t]*$", re.MULTILINE)
# the line number and block/branch key of every branch not taken ("0" or "-")
_BRDA_MISSED = re.compile(r"^BRDA:(\d+),([^\n]*),(?:0+|-)[ \t]*$", re.MULTILINE)
_Missing = dict[int, frozenset[str]]


def _plain_ints(rec: str, tag: str, per_record: int, *, dash: bool = False) -> list[int] | None:
    """The numbers of every ``tag`` record, parsed in C, when they are plain and contiguous.

    Producers write a record's DA (and BRDA) lines together: ``\nDA:3,1\nDA:4,0`` becomes
    the JSON text ``[3,1,4,0]``, which json's C scanner turns into ints without a string per
    number. ``None`` when there is anything but digits and commas (other records mixed in,
    signs, floats, checksums, block ids): the caller then uses regular expressions.
    """
    first = rec.find(tag)
    if first < 0:
        return []
    last = rec.rfind(tag)
    end = rec.find("\n", last + 1)
    if end < 0:
        end = len(rec)
    start = first + len(tag)
    text = "[" + rec[start:end].replace(tag, ",") + "]"
    # every replacement shortens the text by len(tag) - 1 characters
    records = (end - start + 2 - len(text)) // (len(tag) - 1) + 1
    if dash:  # BRDA's '-' (the branch's block never ran) reads as 0
        text = text.replace(",-", ",0")
    if _NOT_PLAIN.search(text):
        return None
    try:
        nums, stop = _scan(text, 0)
    except (ValueError, StopIteration):
        return None  # e.g. leading zeros
    if stop != len(text) or type(nums) is not list or len(nums) != per_record * records:
        return None
    return nums


_DA_PAIR = re.compile(r"([0-9]+),([0-9]+)")


def _parse_da(text: str) -> tuple[int, int]:
    m = _DA_PAIR.fullmatch(text)
    if m is None:
        raise KeyError(text)
    return int(m[1]), int(m[2])


def _memo_lines(rec: str, memo: _Memo) -> tuple[_Lines, int] | None:
    """A record's DA lines through *memo*, and how many; ``None`` unless all plain, together."""
    first = rec.find("\nDA:")
    if first < 0:
        return {}, 0
    end = rec.find("\n", rec.rfind("\nDA:") + 1)
    texts = rec[first + 4 : end if end >= 0 else len(rec)].split("\nDA:")
    try:
        lines: _Lines = dict(map(memo.__getitem__, texts))
    except KeyError:
        return None
    memo.seen += len(texts)
    return lines, len(texts)


def _branch_dict(total: dict[int, int], taken: dict[int, int]) -> _Branches:
    try:
        # shared (taken, total) tuples: fewer objects to make, hold and garbage-collect
        return {n: _PAIRS[t][taken.get(n, 0)] for n, t in total.items()}
    except IndexError:  # a line with more branches than the table holds
        return {n: (taken.get(n, 0), t) for n, t in total.items()}


#: ``_PAIRS[total][taken]`` is ``(taken, total)``, for the branch counts most lines have
_PAIRS = [[(taken, total) for taken in range(total + 1)] for total in range(65)]


def _partly_missed(
    rec: str, branches: _Branches, bnums: list[int] | None, taken: dict[int, int]
) -> _Missing:
    """The block/branch keys of the missed branches of *rec*'s partly covered lines.

    Only records with such a line pay for it (a fully covered or fully missed line needs no
    ids to be merged exactly, see FileCoverage.merge). *bnums* are the record's BRDA numbers
    when they were all plain (line, block, branch, taken); otherwise the text is scanned.
    *taken* counts the taken branches of each line that has any.
    """
    ids: dict[int, list[str]] = {}
    if bnums is not None:
        # C-level selections: Python only loops over the missed branches of partial lines
        miss = list(map(operator.not_, bnums[3::4]))
        lines_m = list(compress(bnums[0::4], miss))
        partial = taken.keys() & set(lines_m)  # some branch taken, some not
        if not partial:
            return {}
        keys = map(_KEY, compress(bnums[1::4], miss), compress(bnums[2::4], miss))
        for n, key in zip(lines_m, keys, strict=True):
            if n in partial:
                got = ids.get(n)
                if got is None:
                    ids[n] = [key]
                else:
                    got.append(key)
    else:
        for n_text, key in _BRDA_MISSED.findall(rec):
            n = int(n_text)
            br = branches.get(n)
            if br is not None and 0 < br[0] < br[1]:
                ids.setdefault(n, []).append(key)
    out: _Missing = {}
    for n, ks in ids.items():
        ids_n = frozenset(ks)
        if len(ids_n) == branches[n][1] - branches[n][0]:
            out[n] = ids_n
    return out


_KEY = "{},{}".format


class _LazyIds(dict[int, frozenset[str]]):
    """A file's missed branch ids, worked out from its BRDA numbers when first looked at.

    Most reads never merge a file with another report's (one report per run), and naming every
    missed branch of every partly covered line costs a quarter of an lcov read (measured on
    10k files); keeping the record's numbers until the ids are asked for costs nothing.
    """

    __slots__ = ("_src",)

    def __init__(self, rec: str, branches: _Branches, bnums: list[int], taken: dict[int, int]):
        # (dict's own __init__ has nothing to do for an empty dict: not called, as it runs
        # once per record of a report)
        self._src: tuple[str, _Branches, list[int], dict[int, int]] | None = (
            rec,
            branches,
            bnums,
            taken,
        )

    def _load(self) -> None:
        src = self._src
        if src is not None:
            self._src = None
            dict.update(self, _partly_missed(*src))

    def __contains__(self, key: object) -> bool:
        self._load()
        return dict.__contains__(self, key)

    def __getitem__(self, key: int) -> frozenset[str]:
        self._load()
        return dict.__getitem__(self, key)

    def __setitem__(self, key: int, value: frozenset[str]) -> None:
        self._load()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: int) -> None:
        self._load()
        dict.__delitem__(self, key)

    def __iter__(self) -> Iterator[int]:
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def __eq__(self, other: object) -> bool:
        self._load()
        return dict.__eq__(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        self._load()
        return dict.__repr__(self)

    def get(self, key: int, default: Any = None) -> Any:
        self._load()
        return dict.get(self, key, default)

    def items(self) -> Any:
        self._load()
        return dict.items(self)

    def keys(self) -> Any:
        self._load()
        return dict.keys(self)

    def values(self) -> Any:
        self._load()
        return dict.values(self)

    def pop(self, key: int, *default: Any) -> Any:
        self._load()
        return dict.pop(self, key, *default)

    def copy(self) -> dict[int, frozenset[str]]:
        self._load()
        return dict(dict.items(self))

    def __reduce__(self) -> tuple[type[dict[int, frozenset[str]]], tuple[Any]]:
        self._load()
        return (dict, (dict(dict.items(self)),))


def _fast_record(
    rec: str,
    files: dict[str, tuple[_Lines, _Branches]],
    da_memo: _Memo | None = None,
    missing: dict[str, _Missing] | None = None,
) -> bool:
    """Read one record's text into *files*; False when the slow reader must take over."""
    # every record text starts with a newline (see _read_fast), so "\nXX:" finds XX records;
    # a second SF: in one record is caught per chunk, by _read_fast
    i = rec.find("\nSF:") + 1
    if i == 0:
        # text between records (trailing garbage, comments): fine unless it holds data
        return "\nDA:" not in rec and "\nBRDA:" not in rec
    j = rec.find("\n", i)
    raw = rec[i + 3 : j if j >= 0 else len(rec)].strip()
    if not raw or raw in files:
        return False
    got = _memo_lines(rec, da_memo) if da_memo is not None and da_memo.worth_it() else None
    nums = None if got is not None else _plain_ints(rec, "\nDA:", 2)
    if got is not None:
        lines, n_da = got
    elif nums is not None:
        pairs = iter(nums)
        lines = dict(zip(pairs, pairs, strict=True))
        n_da = len(nums) // 2
    else:
        found = _DA.findall(rec)
        n_da = rec.count("\nDA:")
        if len(found) != n_da:
            return False
        lines = {int(n): int(h) for n, h in found}
    if len(lines) != n_da:
        return False  # a line listed twice: lcov adds them up, the slow reader does too
    branches: _Branches = {}
    if "\nBRDA:" in rec:
        # a negative count reads as ",0<digits>", which fails to scan: the slow way then
        bnums = _plain_ints(rec, "\nBRDA:", 4, dash=True)
        total: dict[int, int] = {}
        taken: dict[int, int] = {}
        if bnums is not None:
            at = bnums[0::4]
            if len(set(zip(at, bnums[1::4], bnums[2::4], strict=True))) != len(at):
                return False  # one branch listed twice: its counts add up, the slow way
            _count_elements(total, at)
            _count_elements(taken, compress(at, bnums[3::4]))
        else:
            every = _BRDA_LINE.findall(rec)
            if len(every) != rec.count("\nBRDA:") or len(set(every)) != len(every):
                return False
            _count_elements(total, (int(n) for n, _key in every))
            _count_elements(taken, map(int, _BRDA_TAKEN.findall(rec)))
        branches = _branch_dict(total, taken)
        if missing is not None and taken:  # (nothing taken: no line is partly covered)
            if bnums is not None:
                missing[raw] = _LazyIds("", branches, bnums, taken)
            else:
                ids = _partly_missed(rec, branches, bnums, taken)
                if ids:
                    missing[raw] = ids
    files[raw] = (lines, branches)
    return True


def _read_fast(
    path: Path, missing: dict[str, _Missing] | None = None
) -> dict[str, tuple[_Lines, _Branches]] | None:
    files: dict[str, tuple[_Lines, _Branches]] = {}
    da_memo = _Memo(_parse_da)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            rest = "\n"  # so that every record, the first too, starts with a newline
            while True:
                block = fh.read(_CHUNK)
                if not block:
                    break
                buf = rest + block
                cut = buf.rfind("end_of_record")
                if cut < 0:
                    rest = buf
                    continue
                rest = buf[cut + len("end_of_record") :]
                head = buf[:cut]
                known = len(files)
                for rec in head.split("end_of_record"):
                    if not _fast_record(rec, files, da_memo, missing):
                        return None
                if len(files) - known != head.count("\nSF:"):
                    return None  # a record with two SF: lines (end_of_record missing)
    except (UnicodeDecodeError, OSError):
        return None
    if "SF:" in rest or "DA:" in rest or not files:
        return None  # truncated, or not lcov at all: the slow reader says where
    return files


def read_lcov(path: Path, ctx: ReadContext) -> ReportData:
    """Read one lcov tracefile, record by record (memory holds the result, never the file)."""
    with paused():  # no reference cycles among the objects a report makes
        missing: dict[str, _Missing] = {}
        fast = _read_fast(path, missing)
        if fast is None:
            missing.clear()
            fast = _read_slow(path, missing)
        norm = PathNormalizer(ctx.root)
        cov = Coverage()
        get = missing.get
        for raw, (ls, bs) in fast.items():
            ids = get(raw)
            cov.add(FileCoverage(norm(raw), ls, bs, {} if ids is None else ids))
    return ReportData(coverage=cov)


def _read_slow(
    path: Path, missing: dict[str, _Missing] | None = None
) -> dict[str, tuple[_Lines, _Branches]]:
    """Line by line, every quirk handled; errors name the line."""
    # raw SF path -> (line -> hits, (line, block/branch key) -> taken)
    files: dict[str, tuple[dict[int, int], dict[tuple[int, str], int]]] = {}
    lines: dict[int, int] | None = None
    brda: dict[tuple[int, str], int] = {}
    record_start = 0
    lineno = 0
    line = ""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                # the hot path: DA is most of a tracefile
                if line[:3] == "DA:":
                    if lines is None:
                        raise _error(path, lineno, "DA: record before any SF: record")
                    a, _, b = line[3:].partition(",")
                    n = int(a)
                    try:
                        h = int(b)
                        if h < 0:
                            h = 0
                    except ValueError:  # a checksum field, a float, or garbage
                        h = _count(b.partition(",")[0])
                    old = lines.get(n)
                    lines[n] = h if old is None else old + h
                elif line[:5] == "BRDA:":
                    if lines is None:
                        raise _error(path, lineno, "BRDA: record before any SF: record")
                    a, _, rest = line[5:].partition(",")
                    key, _, taken = rest.rpartition(",")
                    if not key:
                        raise ValueError(line)
                    n = int(a)
                    t = taken.strip()
                    tv = 0 if t == "-" else _count(t)
                    k = (n, key)
                    old = brda.get(k)
                    brda[k] = tv if old is None else old + tv
                elif line[:3] == "SF:":
                    if lines is not None:
                        raise _error(
                            path,
                            lineno,
                            f"SF: record while the record from line {record_start} is still open; "
                            "expected end_of_record first",
                        )
                    raw = line[3:].strip()
                    if not raw:
                        raise _error(path, lineno, "SF: record with an empty path")
                    have = files.get(raw)
                    if have is None:
                        lines, brda = {}, {}
                        files[raw] = (lines, brda)
                    else:
                        lines, brda = have
                    record_start = lineno
                elif line.startswith("end_of_record"):
                    lines = None
                # every other record (FN*, LF/LH, BRF/BRH, TN, VER, MCDC, comments) is skipped
    except UnicodeDecodeError:
        bad = _decode_error_line(path)
        raise _error(path, bad, "not UTF-8 text; lcov tracefiles are UTF-8") from None
    except ValueError:
        raise _error(
            path, lineno, f"malformed record {line.strip()[:80]!r}; expected numbers"
        ) from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc})", slug="missing-file") from None
    if lines is not None:
        raise _error(
            path,
            lineno,
            f"file ends inside the record that starts at line {record_start} "
            "(truncated? expected end_of_record)",
        )
    if not files:
        if lineno == 0 or not _has_text(path):
            raise InputError(f"{path}:1: report is empty", slug="empty-report")
        raise _error(path, 1, "not an lcov tracefile: no SF: record")
    out: dict[str, tuple[_Lines, _Branches]] = {}
    for raw, (ls, bd) in files.items():
        branches: _Branches = {}
        for (n, _k), hit in bd.items():
            cov_b, tot_b = branches.get(n, (0, 0))
            branches[n] = (cov_b + 1 if hit > 0 else cov_b, tot_b + 1)
        out[raw] = (ls, branches)
        if missing is not None:
            missed: dict[int, set[str]] = {}
            for (n, bkey), hit in bd.items():
                b_cov, b_tot = branches[n]
                if hit <= 0 and 0 < b_cov < b_tot:
                    missed.setdefault(n, set()).add(bkey)
            if missed:
                missing[raw] = {n: frozenset(ks) for n, ks in missed.items()}
    return out


def _has_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        return bool(fh.read(4096).strip())


def _error(path: Path, lineno: int, what: str) -> InputError:
    return InputError(f"{path}:{lineno}: {what}", slug="malformed-report")


class LcovAdapter:
    name = "lcov"
    kind = "coverage"
    description = "lcov tracefile (geninfo, gcovr, istanbul/nyc, coverage.py, c8, flutter, ...)"

    def sniff(self, head: str, path: Path) -> int:
        for raw in head.splitlines()[:50]:
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith(("TN:", "SF:")):
                return 90 if ("\nDA:" in head or "end_of_record" in head) else 60
            return 0  # the first real line decides
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_lcov(path, ctx)


ADAPTERS = [LcovAdapter()]
