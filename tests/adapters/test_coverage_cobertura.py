"""Cobertura XML read from real producers' files, checked against the producers' own totals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from testgate.adapters.cobertura import parse_condition_coverage, read_cobertura
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def read(name: str, root: Path) -> Coverage:
    data, ref = read_report(COV / name, ctx=ReadContext(root=root))
    assert ref.format == "cobertura"
    assert ref.kind == "coverage"
    return data.coverage


def producer_totals(name: str) -> tuple[int, int, int, int]:
    """``lines-covered``, ``lines-valid``, ``branches-covered``, ``branches-valid`` as written."""
    root = etree.parse(str(COV / name), etree.XMLParser(load_dtd=False, no_network=True)).getroot()
    return tuple(  # type: ignore[return-value]
        int(root.get(k, "0"))
        for k in ("lines-covered", "lines-valid", "branches-covered", "branches-valid")
    )


@pytest.mark.parametrize(
    "name",
    [
        "coveragepy__cobertura-missing-branches.xml",  # coverage.py 6.3
        "coverlet-cobertura__csharp.xml",  # coverlet, lines repeated at method and class level
        "dotnet-cobertura__absolute-windows-path.xml",
        "dotnet-cobertura__sample.xml",  # UTF-8 BOM, '--source' source
        "gcovr__cobertura-conditions-space-in-source.xml",
        "gocover-cobertura__go-init.xml",
        "istanbul-cobertura__coffeescript.xml",  # <class> directly under <packages>
        "istanbul-cobertura__typescript.xml",  # method lines are declarations, not statements
        "php-code-coverage__cobertura-template-placeholders.xml",
        "simplecov-cobertura__ruby.xml",
    ],
)
def test_line_totals_equal_the_producers_own(name: str, tmp_path: Path) -> None:
    cl, tl, _cb, _tb = read(name, tmp_path).totals()
    covered, valid, _, _ = producer_totals(name)
    assert (cl, tl) == (covered, valid)


@pytest.mark.parametrize(
    "name",
    [
        "coveragepy__cobertura-missing-branches.xml",
        "coverlet-cobertura__csharp.xml",
        "dotnet-cobertura__absolute-windows-path.xml",
        "gcovr__cobertura-conditions-space-in-source.xml",
        "gcovr__cobertura-virtual-classes.xml",
        "istanbul-cobertura__coffeescript.xml",
    ],
)
def test_branch_totals_equal_the_producers_own(name: str, tmp_path: Path) -> None:
    _cl, _tl, cb, tb = read(name, tmp_path).totals()
    _, _, covered, valid = producer_totals(name)
    assert (cb, tb) == (covered, valid)


def line_level_totals(name: str) -> tuple[int, int, int, int]:
    """Totals computed naively from the class-level ``<line>`` elements (each line once)."""
    root = etree.parse(str(COV / name), etree.XMLParser(load_dtd=False, no_network=True)).getroot()
    files: dict[str, dict[str, tuple[int, int, int]]] = {}
    for cls in root.iter("class"):
        lines = files.setdefault(cls.get("filename", ""), {})
        for line in cls.findall("lines/line"):
            cc = line.get("condition-coverage") or ""
            m = re.search(r"\((\d+)/(\d+)\)", cc)
            c, t = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
            lines[line.get("number", "")] = (int(line.get("hits", "0")), c, t)
    vals = [v for f in files.values() for v in f.values()]
    return (
        sum(1 for h, _, _ in vals if h > 0),
        len(vals),
        sum(c for _, c, _ in vals),
        sum(t for _, _, t in vals),
    )


@pytest.mark.parametrize(
    "name",
    [
        # reports without lines-valid/lines-covered attributes
        "cobertura-ant__commons-cli-214KB.xml",
        "cobertura-maven__cobertura-1.9.xml",
        "coveragepy36__cobertura-coverage-03.xml",
        "luacov-cobertura__lua.xml",
        "istanbul-cobertura__typescript.xml",
    ],
)
def test_totals_follow_the_line_elements(name: str, tmp_path: Path) -> None:
    assert read(name, tmp_path).totals() == line_level_totals(name)


def test_big_ant_report_matches_its_line_rate(tmp_path: Path) -> None:
    cov = read("cobertura-ant__commons-cli-214KB.xml", tmp_path)
    cl, tl, cb, tb = cov.totals()
    assert (cl, tl, cb, tb) == (602, 958, 285, 628)
    # the package-level line-rate of org.apache.commons.cli, as Cobertura wrote it
    pkg = [fc for p, fc in cov.files.items() if p.count("/") == 4]
    assert round(sum(f.covered_lines for f in pkg) / sum(f.total_lines for f in pkg), 6) == round(
        0.6283924843423799, 6
    )


def test_line_level_data_is_kept(tmp_path: Path) -> None:
    fc = read("coveragepy__cobertura-missing-branches.xml", tmp_path).files["dummy.py"]
    assert fc.lines == {1: 1, 2: 1, 3: 1, 5: 0}
    assert fc.branches == {2: (1, 2)}
    assert fc.missed() == [5]


def test_method_only_lines_are_used_when_a_class_has_no_lines(tmp_path: Path) -> None:
    # a C++ converter that writes lines only under <method>; its lines-valid (4) counts the
    # two lines twice, the file has two
    cov = read("cobertura-cpp__camelcase-lineRate.xml", tmp_path)
    assert cov.files["Calculate.cpp"].lines == {53: 3, 54: 3}


def test_lines_repeated_in_methods_and_class_count_once(tmp_path: Path) -> None:
    cov = read("dotnet-cobertura__absolute-windows-path.xml", tmp_path)
    (fc,) = cov.files.values()
    assert len(fc.lines) == 12
    assert fc.lines[14] == 22
    assert fc.branches[14] == (2, 2)


def test_duplicate_lines_of_one_file_count_once(tmp_path: Path) -> None:
    # gcovr lists a virtual destructor's line twice (two functions on one line): gcovr's
    # lines-valid says 30, the file has 24 distinct coverable lines
    cov = read("gcovr__cobertura-virtual-classes.xml", tmp_path)
    fc = cov.files["tests/virtual-classes/output/main.cpp"]
    assert fc.total_lines == 24
    assert fc.lines[10] == 3  # hits 0 and 3 on the same line: the line ran


def test_branch_line_without_condition_coverage_has_no_branch_data(tmp_path: Path) -> None:
    cov = read("dotnet-cobertura__branch-without-condition-coverage.xml", tmp_path)
    fc = cov.files["src/VisualOn.Core/Data/DataSourceProvider.cs"]
    assert 61 in fc.lines
    assert 61 not in fc.branches
    assert fc.branches[25] == (4, 4)


def test_several_classes_of_one_file_merge(tmp_path: Path) -> None:
    report = tmp_path / "c.xml"
    report.write_text(
        '<coverage line-rate="0.5"><packages><package name="p"><classes>'
        '<class name="A" filename="src/a.py"><lines>'
        '<line number="1" hits="1"/><line number="2" hits="0" branch="true" '
        'condition-coverage="0% (0/2)"/></lines></class>'
        '<class name="A$Inner" filename="src/a.py"><lines>'
        '<line number="2" hits="4" branch="true" condition-coverage="50% (1/2)"/>'
        '<line number="7" hits="0"/></lines></class>'
        "</classes></package></packages></coverage>"
    )
    cov = read_cobertura(report, ReadContext(root=tmp_path)).coverage
    assert list(cov.files) == ["src/a.py"]
    fc = cov.files["src/a.py"]
    assert fc.lines == {1: 1, 2: 4, 7: 0}
    assert fc.branches == {2: (1, 2)}


def test_sources_after_packages_are_still_used(tmp_path: Path) -> None:
    # luacov writes <sources/> after <packages> and Windows separators in file names
    cov = read("luacov-cobertura__lua.xml", tmp_path)
    assert sorted(cov.files) == ["scripts/maths.lua", "tests/test.lua"]


def test_source_root_is_joined_and_made_relative(tmp_path: Path) -> None:
    (tmp_path / "tests/wspace/output/src code").mkdir(parents=True)
    (tmp_path / "tests/wspace/output/src code/main.cpp").write_text("int main() {}\n")
    cov = read("gcovr__cobertura-conditions-space-in-source.xml", tmp_path)
    assert list(cov.files) == ["tests/wspace/output/src code/main.cpp"]


def test_absolute_ci_source_is_stripped_to_an_existing_file(tmp_path: Path) -> None:
    # coverage.py wrote its Mac checkout as source; the report is read in another checkout
    (tmp_path / "dummy").mkdir()
    (tmp_path / "dummy" / "dummy.py").write_text("x = 1\n")
    cov = read("coveragepy__cobertura-missing-branches.xml", tmp_path)
    assert "dummy/dummy.py" in cov.files


def test_condition_coverage_parsing() -> None:
    assert parse_condition_coverage("50% (1/2)") == (1, 2)
    assert parse_condition_coverage("100% (4/4)") == (4, 4)
    assert parse_condition_coverage("50%") is None
    assert parse_condition_coverage("0% (0/0)") is None


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (
            '<coverage line-rate="1">\n<packages>\n<class filename="a">\n<lines>\n'
            '<line number="1" hits="1"/>',
            5,
            "malformed XML",
        ),
        (
            '<coverage line-rate="1"><packages><class filename="a"><lines>\n\n'
            '<line number="x1" hits="1"/></lines></class></packages></coverage>',
            3,
            "number='x1'",
        ),
        (
            '<coverage line-rate="1"><packages><class filename="a"><lines>\n'
            '<line number="1" hits="many"/></lines></class></packages></coverage>',
            2,
            "hits='many'",
        ),
    ],
)
def test_bad_reports_are_one_error_naming_file_and_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    report = tmp_path / "bad.xml"
    report.write_text(text)
    with pytest.raises(InputError) as exc:
        read_report(report, format="cobertura", ctx=ReadContext(root=tmp_path))
    assert str(exc.value).startswith(f"{report}:{line}:")
    assert what in str(exc.value)


def test_other_xml_forced_as_cobertura_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Cobertura report"):
        read_report(COV / "jacoco-aggregate__groups.xml", format="cobertura")


@pytest.mark.parametrize("name", sorted(p.name for p in COV.glob("*.xml") if "cobertura" in p.name))
def test_fast_path_and_element_reader_agree(name: str) -> None:
    """The parser-target fast path must read exactly what the element-by-element reader reads."""
    from testgate.adapters._xml import parse_with_target
    from testgate.adapters.cobertura import _Collector, _head_sources, _read_elements

    collector = _Collector()
    parse_with_target(COV / name, collector)
    assert not collector.bad
    assert (collector.files, _head_sources(COV / name), collector.missing) == _read_elements(
        COV / name
    )


def test_late_sources_fall_back_to_the_element_reader(tmp_path: Path) -> None:
    # <sources> after 64 KiB of packages: not in the head, so the element reader reads them
    filler = "".join(
        f'<class name="c{i}" filename="gen/c{i}.py"><lines><line number="1" hits="1"/>'
        "</lines></class>"
        for i in range(1500)
    )
    report = tmp_path / "late.xml"
    report.write_text(
        f'<coverage line-rate="1"><packages><package name="p"><classes>{filler}'
        "</classes></package></packages><sources><source>src</source></sources></coverage>"
    )
    cov = read_cobertura(report, ReadContext(root=tmp_path)).coverage
    assert "src/gen/c1499.py" in cov.files


def test_branch_quirks_read_alike_by_both_readers(tmp_path: Path) -> None:
    """Branch lines listed twice, flagged "True" or "false", or with an unreadable condition."""
    from testgate.adapters._xml import parse_with_target
    from testgate.adapters.cobertura import _Collector, _read_elements

    cc = 'branch="true" condition-coverage'
    classes = [
        # the bulk path: every marked line a branch line, once
        f'<line number="1" hits="2" {cc}="50% (1/2)"/><line number="2" hits=" 3 "/>',
        # one branch line twice: the best coverage wins
        f'<line number="1" hits="1" {cc}="50% (1/2)"/>'
        f'<line number="1" hits="4" {cc}="100% (2/2)"/>',
        # "True", a "false" branch flag with a condition, and a condition that says nothing
        f'<line number="1" hits="1" branch="True" condition-coverage="25% (1/4)"/>'
        f'<line number="2" hits="1" branch="false" condition-coverage="0% (0/2)"/>'
        f'<line number="3" hits="0" {cc}="n/a"/>',
    ]
    report = tmp_path / "quirks.xml"
    report.write_text(
        '<coverage line-rate="1"><packages><package name="p"><classes>'
        + "".join(
            f'<class name="c{i}" filename="c{i}.py"><lines>{body}</lines></class>'
            for i, body in enumerate(classes)
        )
        + "</classes></package></packages></coverage>"
    )
    collector = _Collector()
    parse_with_target(report, collector)
    assert not collector.bad
    assert (collector.files, [], collector.missing) == _read_elements(report)
    assert collector.files == {
        "c0.py": ({1: 2, 2: 3}, {1: (1, 2)}),
        "c1.py": ({1: 4}, {1: (2, 2)}),
        "c2.py": ({1: 1, 2: 1, 3: 0}, {1: (1, 4)}),
    }
