"""``testgate merge``: shards into one run, and every way shards can fail to make one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.errors import InputError
from testgate.model import (
    CiInfo,
    Coverage,
    FileCoverage,
    Finding,
    Run,
    StepResult,
    TestCase,
    VcsInfo,
    write_summary,
)
from testgate.shard.merge import ShardRun, merge_runs
from testgate.testing import Project


def _shard(index: int, total: int, tests: list[str], **kw: object) -> Run:
    run = Run(
        id=f"20261204T10000{index}Z-aaaaa{index}",
        project="p",
        started_at=f"2026-12-04T10:00:0{index}+00:00",
        finished_at=f"2026-12-04T10:01:0{index}+00:00",
        vcs=VcsInfo(commit="abc"),
        ci=CiInfo(shard_index=index, shard_total=total, shard_plan="same"),
        steps=[StepResult("test", "unit", "passed", exit_code=0, attempts=1, duration_s=index)],
        tests=[TestCase("s", "c", t, step="test/unit") for t in tests],
    )
    for k, v in kw.items():
        setattr(run, k, v)
    run.finalize()
    return run


def _files(tmp_path: Path, *runs: Run) -> list[str]:
    return [str(write_summary(r, tmp_path / f"s{i}.json")) for i, r in enumerate(runs)]


def test_missing_and_doubled_shards_are_named(tmp_path: Path, project: Project) -> None:
    a, b, c = _shard(1, 3, ["a"]), _shard(2, 3, ["b"]), _shard(3, 3, ["c"])
    fa, fb, fc = _files(tmp_path, a, b, c)
    out = project.run("merge", fa, fc, "-o", str(tmp_path / "m.json"))
    out.assert_code(2)
    assert "shard 2/3 missing" in out.err
    assert "given: shard 1/3 (" in out.err
    out = project.run("merge", fa, fb, fb, fc, "-o", str(tmp_path / "m.json"))
    out.assert_code(2)
    assert f"shard 2/3 is given twice: {fb} and {fb}" in out.err
    assert not (tmp_path / "m.json").exists()
    project.run("merge", fc, fa, fb, "-o", str(tmp_path / "m.json")).assert_success()
    merged = json.loads((tmp_path / "m.json").read_text())
    assert merged["metrics"]["tests.total"] == 3
    assert merged["run"]["ci"]["shard_total"] == 3
    assert merged["run"]["ci"]["shard_index"] is None
    assert merged["steps"][0]["duration_s"] == 3  # the slowest shard
    assert merged["run"]["started_at"] == "2026-12-04T10:00:01+00:00"
    assert merged["run"]["finished_at"] == "2026-12-04T10:01:03+00:00"


def test_a_summary_that_is_no_shard(tmp_path: Path) -> None:
    plain = _shard(1, 1, ["a"])
    plain.ci = CiInfo()
    with pytest.raises(InputError, match="not a shard's summary"):
        merge_runs([ShardRun("x.json", plain)])


def test_shards_of_different_splits_commits_or_totals(tmp_path: Path) -> None:
    a, b = _shard(1, 2, ["a"]), _shard(2, 2, ["b"])
    b.ci.shard_plan = "other"
    with pytest.raises(InputError, match="split the tests differently"):
        merge_runs([ShardRun("a", a), ShardRun("b", b)])
    b.ci.shard_plan = "same"
    b.vcs.commit = "def"
    with pytest.raises(InputError, match="different commits"):
        merge_runs([ShardRun("a", a), ShardRun("b", b)])
    with pytest.raises(InputError, match="different numbers of shards"):
        merge_runs([ShardRun("a", a), ShardRun("c", _shard(2, 3, ["c"]))])


def test_a_test_that_ran_in_two_shards_is_refused(tmp_path: Path) -> None:
    a, b = _shard(1, 2, ["a", "both"]), _shard(2, 2, ["b", "both"])
    with pytest.raises(InputError, match=r"c::both \(step test/unit\) in shards 1 and 2"):
        merge_runs([ShardRun("a", a), ShardRun("b", b)])


def test_coverage_findings_metrics_and_steps(tmp_path: Path) -> None:
    cov1 = Coverage()
    cov1.add(FileCoverage("src/m.py", {1: 1, 2: 0, 3: 0}, {2: (1, 2)}))
    cov2 = Coverage()
    cov2.add(FileCoverage("src/m.py", {1: 0, 2: 3, 3: 0}, {2: (2, 2)}))
    lint = Finding("ruff", "E501", "medium", "long", path="src/m.py", line=1)
    a = _shard(1, 2, ["a"], coverage=cov1, findings=[lint])
    b = _shard(2, 2, ["b", "f"], coverage=cov2, findings=[lint])
    a.metrics["perf.all.p95_ms"] = 120.0  # the load test ran in shard 1 only
    a.metrics["complexity.cyclomatic.max"] = 4.0
    b.metrics["complexity.cyclomatic.max"] = 9.0
    b.steps = [
        StepResult("test", "unit", "failed", exit_code=1, attempts=2, reason="1 test failed"),
        StepResult("perf", "load", "skipped", reason="runs in shard 1/2 only"),
    ]
    a.steps.append(StepResult("perf", "load", "passed", exit_code=0, attempts=1))
    b.tests[1].status = "failed"
    b.finalize()
    merged = merge_runs([ShardRun("b", b), ShardRun("a", a)])
    m = merged.metrics
    assert (m["tests.total"], m["tests.failed"]) == (3, 1)
    # line by line: line 1 hit in shard 1, line 2 in shard 2, line 3 in neither
    assert merged.coverage.files["src/m.py"].lines == {1: 1, 2: 3, 3: 0}
    assert m["coverage.line"] == pytest.approx(66.6667)
    assert m["coverage.branch"] == 100.0
    assert len(merged.findings) == 1
    assert m["lint.warnings"] == 1
    assert m["perf.all.p95_ms"] == 120.0
    assert m["complexity.cyclomatic.max"] == 9.0
    steps = {s.name: s for s in merged.steps}
    assert steps["unit"].status == "failed"
    assert steps["unit"].reason == "shard 2/2: 1 test failed"
    assert steps["unit"].attempts == 2
    assert steps["load"].status == "passed"


def test_a_percentile_measured_in_two_shards_cannot_be_merged() -> None:
    a, b = _shard(1, 2, ["a"]), _shard(2, 2, ["b"])
    a.metrics["perf.api.p95_ms"] = 100.0
    b.metrics["perf.api.p95_ms"] = 180.0
    with pytest.raises(InputError, match=r"perf.api.p95_ms is 100 in shard 1/2 and 180"):
        merge_runs([ShardRun("a", a), ShardRun("b", b)])


def test_the_python_api(tmp_path: Path) -> None:
    from testgate import api

    files = _files(tmp_path, _shard(2, 2, ["b"]), _shard(1, 2, ["a"]))
    result = api.merge(files, output=tmp_path / "merged.json")
    assert result.exit_code == 0
    assert result.run.metrics["tests.total"] == 2
    assert result.summary == tmp_path / "merged.json"
    durations = tmp_path / "d.json"
    durations.write_text(json.dumps({"a::x": 3.0, "a::y": 2.0, "a::z": 1.0}))
    plan = api.shard_plan(2, durations=str(durations))
    assert [s["expected_s"] for s in plan["shards"]] == [3.0, 3.0]
