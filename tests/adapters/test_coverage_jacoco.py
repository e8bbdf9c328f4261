"""JaCoCo XML from Maven, Gradle, Pester and gcovr, checked against JaCoCo's own counters."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from testgate.adapters.jacoco import read_jacoco
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def read(name: str, root: Path) -> Coverage:
    data, ref = read_report(COV / name, ctx=ReadContext(root=root))
    assert ref.format == "jacoco"
    return data.coverage


def counter(name: str, kind: str) -> tuple[int, int] | None:
    """The report-level ``<counter type=kind>`` as ``(covered, covered + missed)``."""
    root = etree.parse(str(COV / name), etree.XMLParser(load_dtd=False, no_network=True)).getroot()
    for c in root.findall("counter"):
        if c.get("type") == kind:
            covered = int(c.get("covered", "0"))
            return covered, covered + int(c.get("missed", "0"))
    return None


@pytest.mark.parametrize(
    "name",
    [
        "jacoco-aggregate__groups.xml",  # <group> wrappers, two sessions
        "jacoco-edge__no-sourcefilename.xml",
        "jacoco-gradle__groovy-shared-library.xml",  # DOCTYPE split over two lines
        "jacoco-maven__analysis-model-1.1MB.xml",  # 1.1 MB real report
        "jacoco-maven__single-line-dtd-1.0.xml",  # whole report on one line
        "pester-jacoco__powershell.xml",  # DOCTYPE with an empty internal subset
    ],
)
def test_totals_equal_jacocos_counters(name: str, tmp_path: Path) -> None:
    cl, tl, cb, tb = read(name, tmp_path).totals()
    assert (cl, tl) == counter(name, "LINE")
    assert (cb, tb) == (counter(name, "BRANCH") or (0, 0))


def test_line_level_data(tmp_path: Path) -> None:
    cov = read("jacoco-maven__single-line-dtd-1.0.xml", tmp_path)
    fc = cov.files["org/sonarsource/test/Calc.java"]
    assert fc.total_lines == 11
    assert fc.covered_lines == 10
    assert sum(t for _, t in fc.branches.values()) == 4


def test_package_paths_are_found_under_source_roots(tmp_path: Path) -> None:
    src = tmp_path / "lib" / "src" / "main" / "java" / "org" / "example"
    src.mkdir(parents=True)
    (src / "Library.java").write_text("class Library {}\n")
    cov = read("jacoco-aggregate__groups.xml", tmp_path)
    assert list(cov.files) == ["lib/src/main/java/org/example/Library.java"]


def test_gcovr_jacoco_without_instruction_counts_is_refused(tmp_path: Path) -> None:
    # gcovr's JaCoCo writer leaves out mi/ci: which lines ran is not in the file. Reading its
    # lines as not covered would report 0% in silence; the file is refused, naming the fix
    with pytest.raises(InputError) as exc:
        read("gcovr__jacoco.xml", tmp_path)
    assert "no instruction counts (mi/ci)" in str(exc.value)
    assert "--cobertura, --lcov or --json" in str(exc.value)


def test_invalid_counter_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read("jacoco-edge__invalid-ci.xml", tmp_path)
    assert str(exc.value) == (
        f"{COV / 'jacoco-edge__invalid-ci.xml'}:6: <line> has ci='trash'; expected a whole number"
    )


def test_doctype_is_accepted_but_entities_are_not(tmp_path: Path) -> None:
    ok = tmp_path / "ok.xml"
    ok.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">\n'
        '<report name="r"><package name="a"><sourcefile name="B.java">'
        '<line nr="3" mi="0" ci="2" mb="1" cb="1"/></sourcefile></package></report>\n'
    )
    cov = read_jacoco(ok, ReadContext(root=tmp_path)).coverage
    assert cov.files["a/B.java"].lines == {3: 2}
    assert cov.files["a/B.java"].branches == {3: (1, 2)}
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE report [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
        '<report name="&x;"><package name="a"><sourcefile name="B.java">'
        '<line nr="3" mi="0" ci="2"/></sourcefile></package></report>\n'
    )
    with pytest.raises(InputError, match=r"bad.xml:3: refused: the document declares XML entities"):
        read_jacoco(bad, ReadContext(root=tmp_path))
