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

from pathlib import Path

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


def read_lcov(path: Path, ctx: ReadContext) -> ReportData:
    """Read one lcov tracefile, line by line (memory holds the result, never the file)."""
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
    norm = PathNormalizer(ctx.root)
    cov = Coverage()
    for raw, (ls, bd) in files.items():
        branches: dict[int, tuple[int, int]] = {}
        for (n, _k), hit in bd.items():
            cov_b, tot_b = branches.get(n, (0, 0))
            branches[n] = (cov_b + 1 if hit > 0 else cov_b, tot_b + 1)
        cov.add(FileCoverage(norm(raw), ls, branches))
    return ReportData(coverage=cov)


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
