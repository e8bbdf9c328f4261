"""coverage.py JSON reports (no format key, format 3 with and without branches)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testgate.adapters.coveragepy_json import read_coveragepy_json
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError

COV = Path(__file__).parents[1] / "fixtures" / "coverage"

NAMES = [
    "coveragepy-json__format3-branches.json",
    "coveragepy-json__format3-v7.12-functions-classes.json",
    "coveragepy-json__v7.3-no-format.json",
]


@pytest.mark.parametrize("name", NAMES)
def test_missed_lines_and_branches_equal_coveragepys_summary(name: str, tmp_path: Path) -> None:
    data, ref = read_report(COV / name, ctx=ReadContext(root=tmp_path))
    assert ref.format == "coveragepy-json"
    raw = json.loads((COV / name).read_text())
    for fname, fd in raw["files"].items():
        fc = data.coverage.files[fname]
        s = fd["summary"]
        assert len(fc.missed()) == s["missing_lines"], fname
        assert set(fc.missed()) == set(fd["missing_lines"])
        # covered: the executed lines that are not excluded (see the module docstring about
        # docstring lines that older coverage.py lists as executed)
        assert fc.covered_lines == len(set(fd["executed_lines"]) - set(fd["excluded_lines"]))
        assert fc.covered_lines >= s["covered_lines"]
        if raw["meta"].get("branch_coverage"):
            assert fc.total_branches == s["num_branches"], fname
            assert fc.covered_branches == s["covered_branches"], fname
    if raw["meta"].get("branch_coverage"):
        _cl, _tl, cb, tb = data.coverage.totals()
        assert (cb, tb) == (raw["totals"]["covered_branches"], raw["totals"]["num_branches"])


def test_branch_arcs_become_per_line_counts(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    report.write_text(
        json.dumps(
            {
                "meta": {"format": 3, "version": "7.6.0", "branch_coverage": True},
                "files": {
                    "src/m.py": {
                        "executed_lines": [1, 2, 3, 5],
                        "missing_lines": [4],
                        "excluded_lines": [9],
                        "executed_branches": [[2, 3], [3, 5], [5, -1]],
                        "missing_branches": [[2, 4], [3, -1]],
                    }
                },
            }
        )
    )
    fc = read_coveragepy_json(report, ReadContext(root=tmp_path)).coverage.files["src/m.py"]
    assert fc.lines == {1: 1, 2: 1, 3: 1, 4: 0, 5: 1}
    assert fc.branches == {2: (1, 2), 3: (1, 2), 5: (1, 1)}


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('{"meta": {}, "files": {"a.py": {"executed_lines": [1, \n', "bad.json:2: not valid JSON"),
        ("[1, 2, 3]", "bad.json:1: not a coverage.py JSON report"),
        ('{"files": {"a.py": {"executed_lines": "1-3"}}}', "executed_lines must be a list"),
        ('{"files": {"a.py": {"executed_branches": [[1]]}}}', "[from_line, to_line] pairs"),
        ("   \n", "bad.json:1: report is empty"),
    ],
)
def test_bad_json_is_one_error(tmp_path: Path, text: str, what: str) -> None:
    report = tmp_path / "bad.json"
    report.write_text(text)
    with pytest.raises(InputError) as exc:
        read_coveragepy_json(report, ReadContext(root=tmp_path))
    assert what in str(exc.value)
    assert str(exc.value).startswith(str(report))


def test_gcovr_json_is_not_taken_for_coveragepy_json(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot tell which report format"):
        read_report(COV / "gcovr__json.json", ctx=ReadContext(root=tmp_path))
