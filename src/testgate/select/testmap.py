"""The per-test map: which code blocks each test of a step ran, built from coverage.py's
per-test contexts.

With ``pytest --cov --cov-context=test`` (pytest-cov), coverage.py labels every line it
measures with ``<node id>|setup``, ``|run`` or ``|teardown``; with ``dynamic_context =
test_function`` (coverage.py alone) with the test function's dotted name. Lines measured
outside any test (while modules were imported during collection) carry the empty context.
:func:`build_map` turns those lines into blocks (:mod:`testgate.select.blocks`) per test:

- ``tests``: node id -> blocks run while the test body ran;
- ``fixtures``: node id -> blocks run while its fixtures were set up or torn down (a module or
  session fixture runs once, for the first test that needs it: see ``selection.fixtures``);
- ``import_time``: blocks that ran outside any test (import time); a change to one of them is
  a module-level change.

The map is stored per commit in the history store as versioned JSON (:data:`SCHEMA`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate.errors import InputError
from testgate.select.blocks import FileBlocks, parse_file

__all__ = [
    "SCHEMA",
    "FileEntry",
    "TestMap",
    "build_map",
    "junit_nodeid",
    "merge_maps",
    "nodeid_file",
    "nodeid_to_test_id",
]

#: the stored map's format; bump the number for a change old readers cannot ignore
SCHEMA = "testgate.testmap/1"

_PHASES = ("setup", "run", "teardown")


def nodeid_file(nodeid: str) -> str:
    """``tests/test_a.py`` of ``tests/test_a.py::TestX::test_y[1]``."""
    return nodeid.split("::", 1)[0]


def nodeid_to_test_id(nodeid: str) -> str:
    """The test id testgate reads from pytest's JUnit report for a node id.

    pytest's junitxml writes ``classname`` as the node id's path without ``.py``, slashes as
    dots, classes appended (``tests.test_a.TestX``) and ``name`` as the rest
    (``test_y[1]``): testgate's id is ``classname::name``.
    """
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    if len(names) == 1:
        return names[0]
    return f"{'.'.join(names[:-1])}::{names[-1]}"


@dataclass(slots=True)
class FileEntry:
    """A measured file's fingerprints when the map was made."""

    skeleton: str
    blocks: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TestMap:
    """One step's map (see the module docstring)."""

    __test__ = False

    step: str
    commit: str | None = None
    #: the directory node ids are relative to (pytest's rootdir), relative to the repository
    #: root ("" for the root itself)
    rootdir: str = ""
    files: dict[str, FileEntry] = field(default_factory=dict)
    tests: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    fixtures: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    import_time: dict[str, set[str]] = field(default_factory=dict)
    #: files that differed from the commit when they were measured
    dirty: list[str] = field(default_factory=list)
    #: True when the contexts were test functions (coverage.py's test_function), not node ids
    function_level: bool = False

    def repo_path(self, nodeid: str) -> str:
        """The repository-relative path of a node id's file."""
        f = nodeid_file(nodeid)
        return f"{self.rootdir}/{f}" if self.rootdir else f

    def to_json(self) -> bytes:
        table: list[list[Any]] = []
        index: dict[tuple[str, str], int] = {}

        def ids(by_file: dict[str, set[str]]) -> list[int]:
            out = []
            for path, names in sorted(by_file.items()):
                for name in sorted(names):
                    key = (path, name)
                    if key not in index:
                        index[key] = len(table)
                        table.append([path, name])
                    out.append(index[key])
            return out

        tests = {n: ids(b) for n, b in sorted(self.tests.items())}
        fixtures = {n: ids(b) for n, b in sorted(self.fixtures.items()) if b}
        imports = ids(self.import_time)
        doc = {
            "schema": SCHEMA,
            "step": self.step,
            "commit": self.commit,
            "rootdir": self.rootdir,
            "function_level": self.function_level,
            "dirty": self.dirty,
            "files": {p: [f.skeleton, f.blocks] for p, f in sorted(self.files.items())},
            "blocks": table,
            "tests": tests,
            "fixtures": fixtures,
            "import_time": imports,
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, *, source: str = "test map") -> TestMap:
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{source}: not a testgate test map ({exc})") from None
        schema = doc.get("schema") if isinstance(doc, dict) else None
        if schema != SCHEMA:
            raise InputError(
                f"{source}: test map format {schema!r} is not supported (this testgate reads "
                f"{SCHEMA!r}); record a new map with this testgate"
            )
        table = [(p, n) for p, n in doc["blocks"]]

        def unpack(ids: Iterable[int]) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for i in ids:
                p, n = table[i]
                out.setdefault(p, set()).add(n)
            return out

        return cls(
            step=doc["step"],
            commit=doc.get("commit"),
            rootdir=doc.get("rootdir", ""),
            files={p: FileEntry(sk, dict(bl)) for p, (sk, bl) in doc["files"].items()},
            tests={n: unpack(ids) for n, ids in doc["tests"].items()},
            fixtures={n: unpack(ids) for n, ids in doc.get("fixtures", {}).items()},
            import_time=unpack(doc.get("import_time", [])),
            dirty=list(doc.get("dirty", [])),
            function_level=bool(doc.get("function_level", False)),
        )


def merge_maps(maps: list[TestMap]) -> TestMap:
    """The union of several maps of one step and commit (CI shards each record their own).

    A file measured with different fingerprints (a shard ran on a dirty tree) keeps no
    checksum: every block of it counts as changed, which can only select more.
    """
    first = maps[0]
    out = TestMap(
        step=first.step,
        commit=first.commit,
        rootdir=first.rootdir,
        function_level=any(m.function_level for m in maps),
    )
    for m in maps:
        for path, entry in m.files.items():
            old = out.files.get(path)
            if old is None:
                out.files[path] = FileEntry(entry.skeleton, dict(entry.blocks))
                continue
            if old.skeleton != entry.skeleton:
                old.skeleton = ""
            for name, digest in entry.blocks.items():
                if old.blocks.get(name, digest) != digest:
                    old.blocks[name] = ""
                else:
                    old.blocks[name] = digest
        for attr in ("tests", "fixtures"):
            target: dict[str, dict[str, set[str]]] = getattr(out, attr)
            for nodeid, by_file in getattr(m, attr).items():
                dst = target.setdefault(nodeid, {})
                for path, names in by_file.items():
                    dst.setdefault(path, set()).update(names)
        for path, names in m.import_time.items():
            out.import_time.setdefault(path, set()).update(names)
        out.dirty = sorted({*out.dirty, *m.dirty})
    return out


# ------------------------------------------------------------------------------- building


def _split_context(ctx: str) -> tuple[str, str] | None:
    """``(node id, phase)`` of a pytest-cov context; None for the empty context."""
    if not ctx:
        return None
    rest, sep, phase = ctx.rpartition("|")
    if sep and phase in _PHASES:
        return rest, phase
    return ctx, "function"


def _rootdir(nodeids: Iterable[str], cwd: Path, root: Path) -> str:
    """The directory node ids are relative to: the step's cwd or the nearest parent (up to the
    configuration's root) in which their files exist."""
    files = sorted({nodeid_file(n) for n in nodeids})[:200]
    candidates = [cwd, *[p for p in cwd.parents if p == root or root in p.parents]]
    if root not in candidates:
        candidates.append(root)
    best, best_hits = cwd, -1
    for cand in candidates:
        hits = sum(1 for f in files if (cand / f).is_file())
        if hits > best_hits:
            best, best_hits = cand, hits
        if files and hits == len(files):
            break
    try:
        rel = best.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = ""
    return "" if rel == "." else rel


def junit_nodeid(classname: str, name: str, rootdir: Path) -> str | None:
    """The pytest node id of a test pytest's JUnit report names ``classname``/``name``: the
    longest dotted prefix of the class name that is a file under *rootdir* (None when none
    is)."""
    parts = [p for p in classname.split(".") if p]
    for cut in range(len(parts), 0, -1):
        rel = "/".join(parts[:cut]) + ".py"
        if (rootdir / rel).is_file():
            return "::".join([rel, *parts[cut:], name])
    return None


def _function_nodeid(qualname: str, rootdir: Path) -> str:
    """``tests/test_a.py::TestX::test_y`` for coverage.py's ``tests.test_a.TestX.test_y``: the
    longest dotted prefix that names a file under *rootdir*."""
    parts = qualname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        rel = "/".join(parts[:cut]) + ".py"
        if (rootdir / rel).is_file():
            return "::".join([rel, *parts[cut:]])
    return qualname


class NoTestContexts(InputError):
    """The coverage data has no per-test contexts."""


def build_map(
    data_file: Path,
    *,
    root: Path,
    step: str,
    cwd: Path,
    commit: str | None = None,
    dirty: Iterable[str] = (),
    known_tests: Iterable[tuple[str, str]] = (),
) -> TestMap:
    """The map of one step from its coverage.py data file (see the module docstring).

    *known_tests* are the ``(classname, name)`` pairs the step's JUnit report holds: a test that
    ran no measured code has no context, and is added to the map (with no blocks) from there.

    Raises :class:`NoTestContexts` when the data was measured without per-test contexts, and
    :class:`~testgate.errors.InputError` when it is not a coverage.py data file.
    """
    from coverage.exceptions import CoverageException
    from coverage.sqldata import CoverageData

    try:
        data = CoverageData(str(data_file), no_disk=False)
        data.read()
        contexts = data.measured_contexts()
        measured = data.measured_files()
    except (CoverageException, OSError, ValueError) as exc:
        raise InputError(f"{data_file}: not a coverage.py data file ({exc})") from None
    parsed = {c: _split_context(c) for c in contexts}
    if not any(p is not None for p in parsed.values()):
        raise NoTestContexts(
            f"{data_file}: the coverage data has no per-test contexts, so no test map was "
            "recorded; run pytest with --cov-context=test (pytest-cov) or set "
            "dynamic_context = test_function in coverage.py's configuration"
        )
    real_root = root.resolve()
    function_level = any(p is not None and p[1] == "function" for p in parsed.values())
    nodeids = [p[0] for p in parsed.values() if p is not None and p[1] != "function"]
    rootdir = _rootdir(nodeids, cwd.resolve(), real_root) if nodeids else ""
    if function_level:
        base = real_root / rootdir if rootdir else cwd.resolve()
        parsed = {
            c: (p if p is None or p[1] != "function" else (_function_nodeid(p[0], base), "run"))
            for c, p in parsed.items()
        }
        if not rootdir:
            rootdir = _rel(base, real_root)
    out = TestMap(
        step=step,
        commit=commit,
        rootdir=rootdir,
        dirty=sorted(dirty),
        function_level=function_level,
    )
    for nodeid in {p[0] for p in parsed.values() if p is not None}:
        out.tests.setdefault(nodeid, {})
    base_dir = real_root / rootdir if rootdir else real_root
    for classname, name in known_tests:
        known = junit_nodeid(classname, name, base_dir)
        if known is not None:
            out.tests.setdefault(known, {})
    for fname in measured:
        path = Path(fname)
        try:
            rel = path.resolve().relative_to(real_root).as_posix()
        except ValueError:
            continue  # outside the repository: installed packages are not ours to select on
        if not rel.endswith(".py"):
            continue
        blocks = parse_file(path)
        if blocks is None:
            continue
        out.files[rel] = FileEntry(blocks.skeleton, dict(blocks.blocks))
        _assign(out, rel, blocks, data.contexts_by_lineno(fname), parsed)
    return out


def _assign(
    out: TestMap,
    rel: str,
    blocks: FileBlocks,
    by_line: dict[int, list[str]],
    parsed: dict[str, tuple[str, str] | None],
) -> None:
    # group lines by context first: one bisect per line, one set update per (context, file)
    lines_of: dict[str, list[int]] = {}
    for line, ctxs in by_line.items():
        for ctx in ctxs:
            lines_of.setdefault(ctx, []).append(line)
    for ctx, lines in lines_of.items():
        names = blocks.blocks_of(lines)
        p = parsed.get(ctx)
        if p is None:
            out.import_time.setdefault(rel, set()).update(names)
            continue
        nodeid, phase = p
        target = out.tests if phase == "run" else out.fixtures
        target.setdefault(nodeid, {}).setdefault(rel, set()).update(names)


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel
