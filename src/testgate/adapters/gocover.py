"""Go cover profiles (``go test -coverprofile``), modes ``set``, ``count`` and ``atomic``.

Each record is a block, ``<import path>/file.go:<line>.<col>,<line>.<col> <statements> <count>``.
Lines from the block's first to its last line are coverable, and covered when the count is
positive; a line shared by two blocks (one ends where the next begins) keeps the larger count.
Blocks with no statements say nothing about lines and are skipped.

The same block listed twice (profiles merged with ``-coverpkg``, or concatenated) is merged the
way ``go tool cover`` does: counts are OR-ed in ``set`` mode and added in ``count``/``atomic``
mode. Extra ``mode:`` lines from concatenated profiles are accepted.

File names are import paths; the module prefix is replaced by the directory of the ``go.mod``
that declares it when one is found under the repository root, otherwise the usual path
normalisation applies (its longest existing suffix, else kept as written).
"""

from __future__ import annotations

import re
from pathlib import Path

from testgate.adapters._paths import PathNormalizer
from testgate.adapters.registry import ReadContext
from testgate.errors import InputError
from testgate.model import Coverage, FileCoverage, ReportData

__all__ = ["ADAPTERS", "GoCoverAdapter", "read_gocover"]

_MODES = ("set", "count", "atomic")
_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)\"?", re.MULTILINE)
_MODE_LINE = re.compile(r"mode:\s*(\S+)")


def _error(path: Path, lineno: int, what: str) -> InputError:
    return InputError(f"{path}:{lineno}: {what}", slug="malformed-report")


def _modules(norm: PathNormalizer) -> list[tuple[str, str]]:
    """``(module path, directory relative to the root)`` of every go.mod, longest path first."""
    out: list[tuple[str, str]] = []
    for rel in norm.files_named("go.mod"):
        try:
            text = (norm.root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        m = _MODULE.search(text)
        if m:
            d = rel.rpartition("/")[0]
            out.append((m.group(1), d))
    out.sort(key=lambda md: len(md[0]), reverse=True)
    return out


def read_gocover(path: Path, ctx: ReadContext) -> ReportData:
    """Read one Go cover profile, line by line."""
    # (file, start line, start col, end line, end col) -> (statements, count)
    blocks: dict[tuple[str, int, int, int, int], tuple[int, int]] = {}
    mode: str | None = None
    lineno = 0
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                s = line.strip()
                if not s:
                    continue
                if s.startswith("mode:"):
                    m = _MODE_LINE.match(s)
                    if m is None or m.group(1) not in _MODES:
                        raise _error(
                            path,
                            lineno,
                            f"unknown cover mode {s!r}; expected one of {', '.join(_MODES)}",
                        )
                    mode = mode or m.group(1)
                    continue
                if mode is None:
                    raise _error(path, lineno, "expected 'mode: set|count|atomic' first")
                name, sep, rest = s.rpartition(":")
                fields = rest.split()
                if not sep or not name or len(fields) != 3:
                    raise _error(
                        path,
                        lineno,
                        f"malformed block {s[:80]!r}; expected "
                        "'file.go:line.col,line.col statements count'",
                    )
                start, _, end = fields[0].partition(",")
                l1, _, c1 = start.partition(".")
                l2, _, c2 = end.partition(".")
                key = (name, int(l1), int(c1), int(l2), int(c2))
                stmts, count = int(fields[1]), int(fields[2])
                if key[3] < key[1] or stmts < 0 or count < 0:
                    raise _error(
                        path,
                        lineno,
                        f"impossible block {s[:80]!r} (it ends before it "
                        "starts, or has a negative count)",
                    )
                old = blocks.get(key)
                if old is not None:
                    count = max(count, old[1]) if mode == "set" else count + old[1]
                blocks[key] = (stmts, count)
    except UnicodeDecodeError:
        raise _error(path, max(lineno, 1) + 1, "not UTF-8 text") from None
    except ValueError:
        raise _error(
            path, lineno, "malformed block: line, column, statement and count must be whole numbers"
        ) from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc})", slug="missing-file") from None
    if mode is None:
        raise InputError(f"{path}:1: report is empty (no 'mode:' line)", slug="empty-report")
    per_file: dict[str, dict[int, int]] = {}
    for (name, first, _c1, last, _c2), (stmts, count) in blocks.items():
        hits = per_file.setdefault(name, {})
        if stmts == 0:
            continue
        for n in range(first, last + 1):
            seen = hits.get(n)
            if seen is None or count > seen:
                hits[n] = count
    norm = PathNormalizer(ctx.root)
    modules: list[tuple[str, str]] | None = None
    cov = Coverage()
    for name, lines in per_file.items():
        target = name
        if not norm.exists(name):
            if modules is None:
                modules = _modules(norm)
            for mod, d in modules:
                if name.startswith(mod + "/"):
                    tail = name[len(mod) + 1 :]
                    target = f"{d}/{tail}" if d else tail
                    break
        if target == name and not norm.exists(name):
            # no go.mod declares it: the longest existing tail of the import path, if any
            target = norm.suffix(name) or name
        cov.add(FileCoverage(norm(target), lines, {}))
    return ReportData(coverage=cov)


class GoCoverAdapter:
    name = "gocover"
    kind = "coverage"
    description = "Go cover profile (go test -coverprofile), modes set, count and atomic"

    def sniff(self, head: str, path: Path) -> int:
        first = head.lstrip("\ufeff \t\r\n").split("\n", 1)[0].strip()
        m = _MODE_LINE.match(first)
        if m and m.group(1) in _MODES:
            return 95
        return 0

    def read(self, path: Path, ctx: ReadContext) -> ReportData:
        return read_gocover(path, ctx)


ADAPTERS = [GoCoverAdapter()]
