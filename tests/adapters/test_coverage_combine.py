"""Coverage of shards merges like ``coverage combine`` (issue 11, item 5).

Two shards of one suite run under real coverage.py with branch coverage, each exercising other
branches of the same code (a branch partly taken in both shards, by different arcs). Each
shard's report is written in every format coverage.py writes (Cobertura XML, JSON, lcov);
testgate reads the shards of each format and merges them; the merged totals must equal those
of ``coverage combine`` of the same shards, exactly, for lines and branches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testgate.adapters.ingest import ingest
from testgate.adapters.registry import ReadContext

CODE = """
def classify(n):
    if n < 0:
        kind = "negative"
    elif n == 0:
        kind = "zero"
    else:
        kind = "positive"
    for _ in range(n if n > 0 else 0):
        if n > 5:
            break
    return kind

def pick(a, b):
    return a if a else b

def unused(x):
    if x:
        return 1
    return 2
"""

SHARD_1 = """
from pkg.calc import classify, pick
def test_negative():
    assert classify(-1) == "negative"
def test_big():
    assert classify(9) == "positive"
def test_pick():
    assert pick(1, 2) == 1
"""

SHARD_2 = """
from pkg.calc import classify, pick
def test_zero():
    assert classify(0) == "zero"
def test_small():
    assert classify(2) == "positive"
def test_pick_b():
    assert pick(0, 2) == 2
"""


def _coverage(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("combine")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text(textwrap.dedent(CODE))
    (root / ".coveragerc").write_text("[run]\nbranch = True\nsource = pkg\n")
    env = {**os.environ, "PYTHONPATH": str(root)}
    for i, tests in ((1, SHARD_1), (2, SHARD_2)):
        (root / f"test_shard{i}.py").write_text(textwrap.dedent(tests))
        data = f".coverage.shard{i}"
        env_i = {**env, "COVERAGE_FILE": data}
        _coverage(
            root,
            "run",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"test_shard{i}.py",
            env=env_i,
        )
        _coverage(root, "xml", "-o", f"shard{i}.xml", env=env_i)
        _coverage(root, "json", "-o", f"shard{i}.json", env=env_i)
        _coverage(root, "lcov", "-o", f"shard{i}.info", env=env_i)
    # coverage combine of the same shards: the truth
    _coverage(root, "combine", "--keep", ".coverage.shard1", ".coverage.shard2", env=env)
    _coverage(root, "json", "-o", "combined.json", env=env)
    return root


def _truth(root: Path) -> dict[str, int]:
    totals = json.loads((root / "combined.json").read_text())["totals"]
    return {
        "covered_lines": totals["covered_lines"],
        "lines": totals["num_statements"],
        "covered_branches": totals["covered_branches"],
        "branches": totals["num_branches"],
    }


@pytest.mark.parametrize("ext", ["xml", "json", "info"])
def test_merged_shards_equal_coverage_combine(shards: Path, ext: str) -> None:
    truth = _truth(shards)
    ctx = ReadContext(root=shards)
    one = ingest([shards / f"shard1.{ext}"], ctx=ctx).run.coverage.totals()
    two = ingest([shards / f"shard2.{ext}"], ctx=ctx).run.coverage.totals()
    merged = ingest([shards / f"shard1.{ext}", shards / f"shard2.{ext}"], ctx=ctx).run
    cl, tl, cb, tb = merged.coverage.totals()
    assert {"covered_lines": cl, "lines": tl, "covered_branches": cb, "branches": tb} == truth
    # the shards really complement each other on branches (the case a best-of merge gets
    # wrong): neither alone, nor the better of the two, reaches the combined count
    assert max(one[2], two[2]) < cb
    pct = round(100.0 * cb / tb, 4)
    assert merged.metrics["coverage.branch"] == pct


def test_merged_summary_merges_exactly_again(shards: Path, tmp_path: Path) -> None:
    # the branch ids survive summary.json: merging two summaries is exact too
    from testgate.model import Coverage

    ctx = ReadContext(root=shards)
    a = ingest([shards / "shard1.xml"], ctx=ctx).run.coverage
    b = ingest([shards / "shard2.info"], ctx=ctx).run.coverage
    a2 = Coverage.from_dict(json.loads(json.dumps(a.to_dict())))
    b2 = Coverage.from_dict(json.loads(json.dumps(b.to_dict())))
    a2.merge(b2)
    truth = _truth(shards)
    assert a2.totals()[:2] == (truth["covered_lines"], truth["lines"])
    assert a2.totals()[3] == truth["branches"]


def test_branch_merge_rules() -> None:
    from testgate.model import FileCoverage

    def fc(c: int, t: int, ids: set[str] | None = None) -> FileCoverage:
        return FileCoverage("x.py", {1: 1}, {1: (c, t)}, {1: frozenset(ids)} if ids else {})

    def merged(a: FileCoverage, b: FileCoverage) -> tuple[int, int]:
        a.merge(b)
        return a.branches[1]

    assert merged(fc(1, 2, {"7"}), fc(1, 2, {"9"})) == (2, 2)  # different arcs: all taken
    assert merged(fc(1, 3, {"a", "b"}), fc(2, 3, {"b"})) == (2, 3)  # b missed by both
    assert merged(fc(2, 2), fc(0, 2)) == (2, 2)
    assert merged(fc(0, 2), fc(1, 2, {"9"})) == (1, 2)
    # no ids on one side: the better count, a lower bound
    assert merged(fc(1, 4, {"a", "b", "c"}), fc(2, 4)) == (2, 4)


def test_lcov_ids_are_worked_out_when_asked_for(tmp_path: Path) -> None:
    import pickle

    from testgate.adapters.lcov import read_lcov

    f = tmp_path / "a.info"
    f.write_text("SF:a.c\nDA:1,1\nBRDA:1,0,0,1\nBRDA:1,0,1,0\nBRDA:2,0,0,0\nend_of_record\n")
    fc = read_lcov(f, ReadContext(root=tmp_path)).coverage.files["a.c"]
    assert fc.missing_branches == {1: frozenset({"0,1"})}
    assert pickle.loads(pickle.dumps(fc)).missing_branches == {1: frozenset({"0,1"})}
    assert fc.to_dict()["missing_branches"] == [[1, ["0,1"]]]
