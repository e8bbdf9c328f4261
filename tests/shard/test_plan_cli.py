"""``testgate shard plan`` over pytest-split timings, the history store and JUnit reports."""

from __future__ import annotations

import json
import subprocess

import pytest

from testgate.testing import Project

from .conftest import PY


def _plan(project: Project, *args: str) -> dict[str, object]:
    out = project.run("shard", "plan", *args, "--json").assert_success()
    doc = json.loads(out.out)
    assert isinstance(doc, dict)
    return doc


def _ids(doc: dict[str, object]) -> list[str]:
    return sorted(t for s in doc["shards"] for t in s["tests"])  # type: ignore[attr-defined]


@pytest.mark.slow
def test_plan_over_pytest_split_timings(py_project: Project) -> None:
    p = py_project
    subprocess.run(
        [
            PY,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--store-durations",
            "--durations-path",
            ".test_durations",
            "tests",
        ],
        cwd=p.root,
        check=True,
        capture_output=True,
    )
    durations = json.loads((p.root / ".test_durations").read_text())
    doc = _plan(p, "--shards", "3", "--durations", ".test_durations")
    assert [s["index"] for s in doc["shards"]] == [1, 2, 3]  # type: ignore[attr-defined]
    assert _ids(doc) == sorted(durations)
    expected = [sum(durations[t] for t in s["tests"]) for s in doc["shards"]]  # type: ignore[attr-defined]
    assert [s["expected_s"] for s in doc["shards"]] == pytest.approx(expected, abs=1e-5)  # type: ignore[attr-defined]
    ideal = sum(durations.values()) / 3
    assert doc["imbalance"] == pytest.approx(max(expected) / ideal, abs=1e-5)
    # stable: the same input gives the same plan
    assert _plan(p, "--shards", "3", "--durations", ".test_durations") == doc
    text = p.run("shard", "plan", "--shards", "3", "--durations", ".test_durations")
    text.fnmatch_lines(["24 tests in 3 shards; durations from *", "  shard 1/3: *", "imbalance *"])


@pytest.mark.slow
def test_plan_over_the_history_store_and_reports(py_project: Project) -> None:
    p = py_project
    p.run("run").assert_success()
    p.run("run").assert_success()
    doc = _plan(p, "--shards", "2")
    assert doc["source"] == "history (2 runs)"
    recorded = sorted(
        t["id"] for t in json.loads((p.root / ".testgate/latest/summary.json").read_text())["tests"]
    )
    assert _ids(doc) == recorded
    assert "tests.test_m0.TestK::test_p[a/b]" in recorded

    by_file = _plan(p, "--shards", "2", "--by", "file", "--durations", "reports/*.xml")
    assert _ids(by_file) == ["tests/test_m0.py", "tests/test_m1.py", "tests/test_m2.py"]
    assert by_file["by"] == "file"


def test_tests_without_a_duration_are_estimated(project: Project) -> None:
    project.write(
        ".test_durations",
        json.dumps({"t/test_a.py::x": 4.0, "t/test_a.py::y": 2.0, "t/test_b.py::z": 10.0}),
    )
    project.write(
        "tests.txt",
        "t/test_a.py::x\nt/test_a.py::new\nt/test_c.py::new\n\n3 tests collected in 0.01s\n",
    )
    doc = _plan(project, "--shards", "2", "--durations", ".test_durations", "--tests", "tests.txt")
    assert _ids(doc) == ["t/test_a.py::new", "t/test_a.py::x", "t/test_c.py::new"]
    assert doc["estimated"] == 2
    # x 4 s; the new test of test_a.py its file's median, 3 s; test_c.py's the suite's, 4 s
    assert sorted(s["expected_s"] for s in doc["shards"]) == [4.0, 7.0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"a::b": "slow"}', "not a durations file"),
        ('{"a::b": -1}', "not a durations file"),
    ],
)
def test_bad_durations_file(project: Project, content: str, message: str) -> None:
    project.write("d.json", content)
    out = project.run("shard", "plan", "--shards", "2", "--durations", "d.json")
    out.assert_code(2)
    assert message in out.err
    assert "Traceback" not in out.err


def test_no_timings_at_all(project: Project) -> None:
    doc = _plan(project, "--shards", "2")
    assert doc["source"] == "history (no recorded runs)"
    assert _ids(doc) == []
    assert not (project.root / ".testgate/history.db").exists()
    out = project.run("shard", "plan", "--shards", "2", "--durations", "missing/*.xml")
    out.assert_code(2)
    assert "no report file matches" in out.err
