from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.errors import InputError
from testgate.model import (
    SCHEMA,
    Coverage,
    FileCoverage,
    ReportData,
    ReportRef,
    Run,
    StepResult,
    TestCase,
    read_summary,
    write_summary,
)


def _run() -> Run:
    run = Run(
        id="r1",
        project="demo",
        started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:00:10+00:00",
    )
    cov = Coverage()
    cov.add(FileCoverage("src/a.py", {1: 1, 2: 0, 3: 5}, {3: (1, 2)}))
    run.absorb(
        ReportData(
            tests=[
                TestCase("s", "m.T", "test_ok", duration_s=0.5),
                TestCase("s", "m.T", "test_bad", status="failed", message="boom"),
                TestCase("s", "m.T", "test_skip", status="skipped"),
                TestCase("s", "m.T", "test_flaky", attempts=2, flaky=True),
            ],
            coverage=cov,
        ),
        ReportRef("r.xml", "junit", "tests", step="unit"),
    )
    run.steps.append(StepResult("unit", "pytest", "failed", exit_code=1))
    run.finalize()
    return run


def test_metrics_are_derived_from_tests_coverage_and_steps() -> None:
    m = _run().metrics
    assert m["tests.total"] == 4
    assert m["tests.failed"] == 1
    assert m["tests.skipped"] == 1
    assert m["tests.flaky"] == 1
    assert m["tests.pass_rate"] == pytest.approx(100 * 2 / 3, rel=1e-3)
    assert m["coverage.line"] == pytest.approx(100 * 2 / 3, rel=1e-3)
    assert m["coverage.branch"] == 50.0
    assert m["steps.failed"] == 1
    assert m["pipeline.duration_s"] == 10.0


def test_absent_families_are_absent_not_zero() -> None:
    run = Run(id="r")
    run.finalize()
    assert "tests.total" not in run.metrics
    assert "coverage.line" not in run.metrics


def test_summary_round_trip(tmp_path: Path) -> None:
    run = _run()
    p = write_summary(run, tmp_path / "summary.json")
    back = read_summary(p)
    assert back.to_dict() == run.to_dict()
    assert json.loads(p.read_text())["schema"] == SCHEMA
    assert back.tests[1].step == "unit"


def test_newer_major_version_is_refused_clearly(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema": "testgate.summary/2", "run": {"id": "x"}}))
    with pytest.raises(InputError, match=r"summary/2.*not supported"):
        read_summary(p)


def test_coverage_merge_adds_hits_of_the_same_file() -> None:
    cov = Coverage()
    cov.add(FileCoverage("a.py", {1: 0, 2: 1}))
    cov.add(FileCoverage("a.py", {1: 3, 4: 0}))
    assert cov.files["a.py"].lines == {1: 3, 2: 1, 4: 0}
    assert cov.totals()[:2] == (2, 3)


def test_coverage_totals_count_negative_hits_as_not_covered() -> None:
    cov = Coverage()
    cov.add(FileCoverage("a.c", {1: -1, 2: 0, 3: 4}, {3: (1, 2)}))
    cov.add(FileCoverage("b.c", {1: 1, 2: 0}))
    cov.add(FileCoverage("c.c"))
    assert cov.totals() == (2, 5, 1, 2)


def _many(n: int) -> Run:
    from testgate.model import TestCase

    run = Run(id="big", project="p", started_at="2026-01-01T00:00:00+00:00")
    run.tests = [
        TestCase(
            "s",
            f"c{i % 7}",
            f"t{i}",
            "failed" if i % 50 == 0 else "passed",
            duration_s=i / 1000,
            message='boom\n"quoted" ,"tests":[' if i % 50 == 0 else None,
        )
        for i in range(n)
    ]
    run.finalize()
    return run


def test_a_summary_of_many_tests_streams_one_test_per_line_and_reads_back(tmp_path: Path) -> None:
    run = _many(25_000)  # more than one chunk
    path = write_summary(run, tmp_path / "summary.json")
    lines = path.read_bytes().splitlines()
    assert len(lines) == 1 + 25_000 + 1  # the head, one test a line, the end
    assert lines[0].endswith(b',"tests":[')
    assert lines[-1] == b"]}"
    doc = json.loads(path.read_text())  # still one JSON document
    assert len(doc["tests"]) == 25_000
    back = read_summary(path)
    assert [t.to_dict() for t in back.tests] == [t.to_dict() for t in run.tests]
    assert back.metrics == run.metrics


def test_a_cut_summary_is_an_error_not_a_smaller_run(tmp_path: Path) -> None:
    path = write_summary(_many(100), tmp_path / "summary.json")
    data = path.read_bytes()
    (tmp_path / "cut.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"malformed test|ends early"):
        read_summary(tmp_path / "cut.json")
    lines = data.splitlines(keepends=True)
    (tmp_path / "cut2.json").write_bytes(b"".join(lines[:50]))  # cut at a line boundary
    with pytest.raises(InputError, match="ends early"):
        read_summary(tmp_path / "cut2.json")
    (tmp_path / "tail.json").write_bytes(data + b"garbage")
    with pytest.raises(InputError, match="text after its end"):
        read_summary(tmp_path / "tail.json")


def test_summaries_in_other_layouts_are_read_whole(tmp_path: Path) -> None:
    run = _many(10)
    (tmp_path / "indented.json").write_text(json.dumps(run.to_dict(), indent=2))
    assert len(read_summary(tmp_path / "indented.json").tests) == 10
    doc = run.to_dict()
    doc["metrics"]["tests.duration_s"] = float("nan")  # what Python's json module may write
    (tmp_path / "nan.json").write_text(json.dumps(doc))
    assert len(read_summary(tmp_path / "nan.json").tests) == 10
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="not valid JSON"):
        read_summary(tmp_path / "deep.json")


_CAPPED = {
    "name": 1_000,
    "classname": 1_000,
    "suite": 1_000,
    "file": 1_000,
    "test_id": 4_000,
    "step": 1_000,
    "report": 1_000,
    "category": 1_000,
    "fingerprint": 1_000,
}


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(sorted(_CAPPED)), st.integers(-2, 2), max_size=9))
def test_field_caps_cut_exactly_the_fields_that_are_too_long(offsets: dict[str, int]) -> None:
    """Whatever mix of fields sits just under, at or just over its limit: those over it are
    cut and say so, the others are left as they were, and the count says how many."""
    from testgate.model import TestCase, cap_fields

    tc = TestCase("s", "c", "n", "passed")
    for field, off in offsets.items():
        setattr(tc, field, "x" * (_CAPPED[field] + off))
    before = {f: getattr(tc, f) for f in _CAPPED}
    n = cap_fields([tc])
    over = {f for f, off in offsets.items() if off > 0}
    assert n == len(over)
    for f in _CAPPED:
        value = getattr(tc, f)
        if f in over:
            assert value.startswith("x" * _CAPPED[f] + " … [")
            assert value.endswith(" more characters cut by testgate]")
        else:
            assert value == before[f]


def test_every_capped_field_of_a_test_is_cut_alone() -> None:
    """cap_fields cuts each over-long field (step, report, category, fingerprint included),
    says by how much, and leaves fields at the limit as they are."""
    from testgate.model import MAX_NAME_CHARS, cap_fields

    long = "x" * (MAX_NAME_CHARS + 7)
    at_limit = "y" * MAX_NAME_CHARS
    marker = "x … [7 more characters cut by testgate]"
    t = TestCase("s", "c", "n", step=long, report=long, category=long, fingerprint=long)
    ok = TestCase("s", "c", "n", step=at_limit, report=at_limit, category=None, fingerprint=None)
    assert cap_fields([t, ok]) == 4
    for value in (t.step, t.report, t.category, t.fingerprint):
        assert value is not None
        assert value.endswith(marker)
        assert len(value) == MAX_NAME_CHARS + len(marker) - 1
    assert (ok.step, ok.report, ok.category, ok.fingerprint) == (at_limit, at_limit, None, None)


def test_a_test_dict_has_its_keys_in_order_and_only_those_set() -> None:
    bare = TestCase("suite", "", "name", file="a/b.py")
    assert bare.to_dict() == {
        "id": "a/b.py::name",
        "suite": "suite",
        "classname": "",
        "name": "name",
        "status": "passed",
        "duration_s": 0.0,
        "file": "a/b.py",
    }
    full = TestCase(
        "s", "C", "n", "failed", 1.5, "f.py", 3, "m", "t", 2, True, {"k": "v"}, "st", "r.xml",
        "my-id", "assertion", "0123456789abcdef", "td",
    )  # fmt: skip
    d = full.to_dict()
    assert list(d) == [
        "id", "suite", "classname", "name", "status", "duration_s", "file", "line", "message",
        "trace", "attempts", "flaky", "properties", "step", "report", "category", "fingerprint",
        "teardown_error",
    ]  # fmt: skip
    assert (d["id"], d["attempts"], d["flaky"]) == ("my-id", 2, True)
