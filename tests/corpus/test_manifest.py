"""Every file of tests/corpus read and compared with MANIFEST.md (issue 11).

One parametrised test: for each row, the file is read with testgate's format detection and
every number in the row's last column must equal what testgate reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testgate.adapters.ingest import ingest
from testgate.adapters.registry import ReadContext

HERE = Path(__file__).parent
MANIFEST = HERE / "MANIFEST.md"
#: files of this folder that are not corpus files
OWN = {"MANIFEST.md", "make_corpus.py", "test_manifest.py", "__init__.py"}

ALIASES = {
    "total": "tests.total",
    "passed": "tests.passed",
    "failed": "tests.failures",
    "errors": "tests.errors",
    "skipped": "tests.skipped",
    "flaky": "tests.flaky",
    "line": "coverage.line",
    "branch": "coverage.branch",
    "critical": "security.critical",
    "high": "security.high",
    "medium": "security.medium",
    "low": "security.low",
    "secrets": "secrets.count",
    "cognitive": "complexity.cognitive.max",
    "docs": "docs.public_api",
}


def _rows() -> list[tuple[str, dict[str, str]]]:
    rows = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m is None:
            continue
        expect = line.rstrip(" |").rsplit("|", 1)[1].split()
        rows.append((m.group(1), dict(item.split("=", 1) for item in expect)))
    return rows


ROWS = _rows()


def test_every_corpus_file_is_in_the_manifest_and_small() -> None:
    listed = {name for name, _ in ROWS}
    on_disk = {
        p.relative_to(HERE).as_posix()
        for p in HERE.rglob("*")
        if p.is_file() and p.name not in OWN and "__pycache__" not in p.parts
    }
    assert on_disk == listed
    for name in on_disk:
        assert (HERE / name).stat().st_size < 1_000_000, name
    assert len({n for n in listed if n.startswith("junit/")}) >= 10


@pytest.mark.parametrize(("name", "expect"), ROWS, ids=[n for n, _ in ROWS])
def test_corpus_file_reads_as_its_producer_counts(name: str, expect: dict[str, str]) -> None:
    run = ingest([HERE / name], ctx=ReadContext(root=HERE)).run
    got: dict[str, object] = {}
    want: dict[str, object] = {}
    for key, value in expect.items():
        if key == "format":
            got[key], want[key] = run.reports[0].format, value
        elif key in ("lines", "branches"):
            cl, tl, cb, tb = run.coverage.totals()
            got[key] = f"{cl}/{tl}" if key == "lines" else f"{cb}/{tb}"
            want[key] = value
        else:
            metric = ALIASES.get(key, key)
            got[key], want[key] = run.metrics.get(metric), float(value)
    assert got == want
