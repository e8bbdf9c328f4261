"""coverage.py JSON (``coverage json``), every format version (no ``format`` key before 7.4,
then ``format`` 2 and 3).

Per file, ``executed_lines`` are covered (hit count 1: coverage.py records no counts) and
``missing_lines`` are not; ``excluded_lines`` are not coverable, even when they ran. One known
difference from coverage.py's own totals: under Python versions whose tracer reports a module
docstring's line as executed, older coverage.py releases (7.3 and others) list that line in
``executed_lines`` although it is not a statement, and the JSON does not say which lines are
statements; such a file reads one covered line more than ``summary.covered_lines``. The XML and
lcov reports of the same run do not have this problem. With ``--branch``, each arc in
``executed_branches``/``missing_branches`` is ``[from_line, to_line]`` (a negative ``to`` is an
exit from the code object): the arcs leaving one line give that line's ``(covered, total)``
branch counts, as coverage.py's own XML ``condition-coverage`` does. ``totals`` are ignored;
``functions`` and ``classes`` sub-maps (7.x) repeat the file's lines and are ignored too.

gcovr's JSON (``gcovr/format_version``) is a different format and is not read here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testgate.adapters._paths import PathNormalizer
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "CoveragePyJsonAdapter", "read_coveragepy_json"]


def _load(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc})", slug="missing-file") from None
    if not raw.strip():
        raise InputError(f"{path}:1: report is empty", slug="empty-report")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text; coverage.py writes UTF-8 JSON",
            slug="malformed-report",
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})",
            slug="malformed-report",
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: JSON nested too deeply to be a coverage.py JSON report",
            slug="malformed-report",
        ) from None


def _ints(path: Path, fname: str, key: str, value: object) -> list[int]:
    if value is None:
        return []
    if isinstance(value, list) and all(type(v) is int for v in value):
        return value
    raise InputError(
        f"{path}: files[{fname!r}].{key} must be a list of line numbers, "
        f"got {type(value).__name__}",
        slug="malformed-report",
    )


def _arcs(path: Path, fname: str, key: str, value: object) -> list[list[int]]:
    if value is None:
        return []
    if isinstance(value, list) and all(
        isinstance(a, list) and len(a) == 2 and all(type(x) is int for x in a) for a in value
    ):
        return value
    raise InputError(
        f"{path}: files[{fname!r}].{key} must be a list of [from_line, to_line] pairs",
        slug="malformed-report",
    )


def read_coveragepy_json(path: Path, ctx: ReadContext) -> ReportData:
    """Read one ``coverage json`` report."""
    data = _load(path)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise InputError(
            f"{path}:1: not a coverage.py JSON report: expected an object with a 'files' map "
            "(as written by `coverage json`)",
            slug="malformed-report",
        )
    norm = PathNormalizer(ctx.root)
    cov = Coverage()
    for fname, fd in files.items():
        if not isinstance(fd, dict):
            raise InputError(f"{path}: files[{fname!r}] must be an object", slug="malformed-report")
        lines = dict.fromkeys(_ints(path, fname, "missing_lines", fd.get("missing_lines")), 0)
        excluded = set(_ints(path, fname, "excluded_lines", fd.get("excluded_lines")))
        for n in _ints(path, fname, "executed_lines", fd.get("executed_lines")):
            if n not in excluded:  # an excluded line that ran is still not coverable
                lines[n] = 1
        counts: dict[int, list[int]] = {}
        for src, _dst in _arcs(path, fname, "executed_branches", fd.get("executed_branches")):
            c = counts.setdefault(src, [0, 0])
            c[0] += 1
            c[1] += 1
        missed: dict[int, set[str]] = {}
        for src, dst in _arcs(path, fname, "missing_branches", fd.get("missing_branches")):
            counts.setdefault(src, [0, 0])[1] += 1
            missed.setdefault(src, set()).add(str(dst))  # an arc is (from, to): `to` names it
        branches = {n: (c[0], c[1]) for n, c in counts.items()}
        # the missed arcs of partly covered lines: shards merge by them (see FileCoverage)
        ids = {n: frozenset(m) for n, m in missed.items() if counts[n][0]}
        cov.add(FileCoverage(norm(str(fname)), lines, branches, ids))
    return ReportData(coverage=cov)


class CoveragePyJsonAdapter:
    name = "coveragepy-json"
    kind = "coverage"
    description = "coverage.py JSON (coverage json), format 1 to 3"

    def sniff(self, head: str, path: Path) -> int:
        s = head.lstrip("\ufeff \t\r\n")
        if not s.startswith("{"):
            return 0
        if '"executed_lines"' in head and '"files"' in head:
            return 95 if '"meta"' in head else 80
        if '"meta"' in head and '"branch_coverage"' in head:
            return 60
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_coveragepy_json(path, ctx)


ADAPTERS = [CoveragePyJsonAdapter()]
