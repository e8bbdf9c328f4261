"""Clover XML from OpenClover, PHPUnit, istanbul and gcovr, checked against Clover's metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from testgate.adapters.clover import read_clover
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def read(name: str, root: Path) -> Coverage:
    data, ref = read_report(COV / name, ctx=ReadContext(root=root))
    assert ref.format == "clover"
    return data.coverage


def file_metrics(name: str, key: str) -> int:
    root = etree.parse(str(COV / name)).getroot()
    return sum(
        int(m.get(key, "0")) for f in root.iter("file") if (m := f.find("metrics")) is not None
    )


@pytest.mark.parametrize(
    "name",
    [
        "clover-istanbul__js.xml",
        "phpunit-clover__php-code-coverage.xml",  # method lines are not statements
    ],
)
def test_lines_equal_clovers_statements(name: str, tmp_path: Path) -> None:
    cl, tl, _cb, _tb = read(name, tmp_path).totals()
    assert (cl, tl) == (
        file_metrics(name, "coveredstatements"),
        file_metrics(name, "statements"),
    )


def test_istanbul_cond_lines_count_covered_and_uncovered_branches(tmp_path: Path) -> None:
    cov = read("clover-istanbul__js.xml", tmp_path)
    # the Jenkins agent's workspace prefix is gone (nothing of it exists here)
    fc = cov.files["src/js/components/File5.jsx"]
    # <line num="24" count="2" type="cond" truecount="3" falsecount="1"/>
    assert fc.lines[24] == 2
    assert fc.branches[24] == (3, 4)


def test_clover_cond_lines_count_true_and_false_outcomes(tmp_path: Path) -> None:
    cov = read("clover-1.3__maven-java.xml", tmp_path)
    (fc,) = (f for p, f in cov.files.items() if p.endswith("CloverCoverageParser.java"))
    # <line num="20" falsecount="1" type="cond" truecount="1"/>: both outcomes happened
    assert fc.branches == {20: (2, 2)}
    assert fc.lines[20] > 0
    # Clover counts a cond line that is also a stmt line twice in 'statements' (55); a line
    # is one line here
    assert cov.totals()[1] == file_metrics("clover-1.3__maven-java.xml", "statements") - 1


def test_gcovr_clover_duplicate_lines_count_once(tmp_path: Path) -> None:
    cov = read("gcovr__clover.xml", tmp_path)
    assert cov.files["main.cpp"].total_lines == 24
    assert cov.files["main.cpp"].covered_lines == 23


def test_windows_names_are_normalised(tmp_path: Path) -> None:
    (tmp_path / "src" / "Deimos").mkdir(parents=True)
    (tmp_path / "src" / "Deimos" / "Match.php").write_text("<?php\n")
    cov = read("phpunit-clover__php-code-coverage.xml", tmp_path)
    assert "src/Deimos/Match.php" in cov.files
    assert "O:/OpenServer/domains/semver/src/Deimos/Comparator.php" in cov.files


@pytest.mark.parametrize("name", ["clover-edge__empty.xml", "phpunit-clover__empty-project.xml"])
def test_empty_projects_have_no_files(name: str, tmp_path: Path) -> None:
    assert not read(name, tmp_path)


def test_bad_count_names_file_and_line(tmp_path: Path) -> None:
    report = tmp_path / "clover.xml"
    report.write_text(
        '<coverage clover="4.4.1"><project><file name="a.java">\n'
        '<line num="1" type="stmt" count="1"/>\n<line num="2" type="stmt" count="lots"/>\n'
        "</file></project></coverage>"
    )
    with pytest.raises(InputError, match=r"clover.xml:3: <line> has count='lots'"):
        read_clover(report, ReadContext(root=tmp_path))
