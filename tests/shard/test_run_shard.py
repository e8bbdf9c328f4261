"""``testgate run --shard I/N`` on a real pytest project, merged back to the full suite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testgate.testing import Project

from .conftest import PY, summary_tests

pytestmark = pytest.mark.slow  # real testgate and pytest runs, a few seconds each

LATEST = Path(".testgate/latest/summary.json")


def _plan_results(project: Project) -> list[dict[str, object]]:
    found = sorted((project.root / ".testgate/runs").glob("*/plans/*.result.json"))
    return [json.loads(p.read_text()) for p in found]


def _shard(project: Project, spec: str, *extra: str) -> Path:
    project.run("run", "--shard", spec, "--no-record", *extra).assert_success()
    out = project.root / f"shard-{spec.replace('/', '-of-')}.json"
    shutil.copy(project.root / LATEST, out)
    return out


def test_two_shards_merge_back_to_the_full_suite(py_project: Project) -> None:
    p = py_project
    p.run("run").assert_success()  # recorded: the timings the shards split by
    full = summary_tests(p.root / LATEST)
    assert len(full) == 24

    s1 = _shard(p, "1/2")
    s2 = _shard(p, "2/2")
    one, two = summary_tests(s1), summary_tests(s2)
    assert one
    assert two
    assert not set(one) & set(two)
    assert sorted(one + two) == full

    # every test was placed from the recorded timings (the JUnit ids matched the node ids)
    # the run ids order the plans by second only: two shards started in one second come in
    # either order
    results = _plan_results(p)
    shards = sorted((r["shard"] for r in results), key=lambda s: s["index"])  # type: ignore[index]
    assert shards == [
        {"index": 1, "total": 2, "unnamed": 0},
        {"index": 2, "total": 2, "unnamed": 0},
    ]
    doc2 = json.loads(s2.read_text())
    assert doc2["run"]["ci"]["shard_index"] == 2
    assert doc2["run"]["ci"]["shard_total"] == 2
    lint = next(s for s in doc2["steps"] if s["name"] == "lint")
    assert lint["status"] == "skipped"
    assert "shard 1/2 only" in lint["reason"]

    merged = p.root / "merged.json"
    out = p.run("merge", str(s1), str(s2), "-o", str(merged)).assert_success()
    assert "merged 2 shards" in out.out
    doc = json.loads(merged.read_text())
    assert summary_tests(merged) == full
    assert doc["metrics"]["tests.total"] == 24
    assert {s["name"]: s["status"] for s in doc["steps"]} == {"unit": "passed", "lint": "passed"}

    # the merged run is a run like any other
    p.run("gate", "--summary", str(merged)).assert_success()
    md = p.run("report", "--summary", str(merged), "-f", "markdown").assert_success()
    assert "24" in md.out
    rec = p.run("history", "record", str(merged), "--json").assert_success()
    assert json.loads(rec.out)["tests"] == 24
    again = p.run("merge", str(s2), str(s1), "-o", str(p.root / "again.json")).assert_success()
    assert json.loads((p.root / "again.json").read_text())["run"]["id"] == doc["run"]["id"]
    assert again.code == 0


def test_without_timings_the_shards_still_split_every_test_once(py_project: Project) -> None:
    p = py_project
    s1 = _shard(p, "1/3")
    s2 = _shard(p, "2/3")
    s3 = _shard(p, "3/3")
    parts = [summary_tests(s) for s in (s1, s2, s3)]
    assert all(parts)
    assert sum(len(x) for x in parts) == 24
    assert len({t for x in parts for t in x}) == 24
    assert all(r["shard"]["unnamed"] == 24 for r in _plan_results(p))  # type: ignore[index]
    p.run("merge", str(s1), str(s2), str(s3), "-o", "m.json").assert_success()


def test_pinned_durations_file_and_auto_from_gitlab(py_project: Project) -> None:
    p = py_project
    # a real pytest-split durations file, written by pytest-split itself
    import subprocess

    subprocess.run(
        [
            PY,
            "-m",
            "pytest",
            "-q",
            "--store-durations",
            "--durations-path",
            "durations.json",
            "tests",
        ],
        cwd=p.root,
        check=True,
        capture_output=True,
    )
    data = json.loads((p.root / "durations.json").read_text())
    assert len(data) == 24
    out = p.run_subprocess(
        "run",
        "--shard",
        "auto",
        "--shard-durations",
        "durations.json",
        "--no-record",
        env={"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"},
    )
    out.assert_success()
    doc = json.loads((p.root / LATEST).read_text())
    assert (doc["run"]["ci"]["shard_index"], doc["run"]["ci"]["shard_total"]) == (1, 2)
    assert 0 < len(doc["tests"]) < 24
    assert _plan_results(p)[0]["shard"]["unnamed"] == 0  # type: ignore[index]


def test_every_shard_and_own_split_with_shard_files(project: Project) -> None:
    from .conftest import git_commit, write_suite

    write_suite(project, files=4, per_file=1)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: by-file
                  run: >-
                    {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/f.xml
                    ${{{{ shard.files }}}}
                  shard_files: "tests/test_*.py"
                  reports: [reports/f.xml]
                - name: everywhere
                  run: echo "${{{{ shard.index }}}} of ${{{{ shard.total }}}}" > where.txt
                - name: setup
                  run: echo setup
                  every_shard: true
        """,
    )
    git_commit(project.root)
    files: list[str] = []
    for i in (1, 2):
        project.run("run", "--shard", f"{i}/2", "--no-record").assert_success()
        assert (project.root / "where.txt").read_text().strip() == f"{i} of 2"
        doc = json.loads((project.root / LATEST).read_text())
        assert {s["name"]: s["status"] for s in doc["steps"]} == {
            "by-file": "passed",
            "everywhere": "passed",
            "setup": "passed",
        }
        step = next(s for s in doc["steps"] if s["name"] == "by-file")
        files += [a for a in step["command"].split() if a.startswith("tests/")]
        assert len(doc["tests"]) == 6  # two whole files of three tests each
    assert sorted(files) == [f"tests/test_m{i}.py" for i in range(4)]

    # unsharded, ${{ shard.files }} is every file
    project.run("run", "--no-record").assert_success()
    assert len(json.loads((project.root / LATEST).read_text())["tests"]) == 12


def test_emit_github_matrix(project: Project) -> None:
    out = project.run("run", "--emit", "github-matrix", "--shards", "2").assert_success()
    assert json.loads(out.out)["include"][1] == {"shard": "2/2", "index": 2, "total": 2}
    bad = project.run("run", "--emit", "github-matrix")
    bad.assert_code(2)
    assert "--shards N" in bad.err


def test_a_pytest_that_ignores_the_plan_is_an_error(project: Project) -> None:
    from .conftest import git_commit, write_suite

    write_suite(project, files=1, per_file=2)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: test
              steps:
                - name: unit
                  run: {PY} -m pytest -q -p no:cacheprovider -p no:testgate --junitxml=r.xml tests
                  reports: [r.xml]
        """,
    )
    git_commit(project.root)
    out = project.run("run", "--shard", "1/2", "--no-record")
    out.assert_code(2)
    assert "did not follow shard 1/2's plan" in out.err
    assert "install testgate where the step's pytest runs" in out.err


def test_node_test_files_split_with_shard_files(project: Project) -> None:
    import shutil as sh

    from .conftest import git_commit

    if sh.which("node") is None:
        pytest.skip("node is not installed here")
    for name in ("alpha", "beta", "gamma"):
        project.write(
            f"test/{name}.test.js",
            f"const t = require('node:test');\nt('{name} one', () => {{}});\n"
            f"t('{name} two', () => {{}});\n",
        )
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: test
              steps:
                - name: node
                  run: >-
                    node --test --test-reporter=junit
                    --test-reporter-destination=reports/node.xml ${{ shard.files }}
                  shard_files: "test/**/*.test.js"
                  reports: [reports/node.xml]
        """,
    )
    git_commit(project.root)
    s1 = _shard(project, "1/2")
    s2 = _shard(project, "2/2")
    assert len(summary_tests(s1)) + len(summary_tests(s2)) == 6
    project.run("merge", str(s1), str(s2), "-o", "m.json").assert_success()
    merged = json.loads((project.root / "m.json").read_text())
    assert merged["metrics"]["tests.total"] == 6
