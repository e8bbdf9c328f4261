"""Detection of every coverage format by content, and hostile or broken coverage reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testgate.adapters.registry import ReadContext, default_registry, read_report
from testgate.errors import InputError

COV = Path(__file__).parents[1] / "fixtures" / "coverage"

EXPECTED = {
    "cobertura": [
        "cobertura-ant__commons-cli-214KB.xml",
        "cobertura-cpp__camelcase-lineRate.xml",
        "cobertura-edge__no-branch-rate.xml",
        "cobertura-maven__cobertura-1.9.xml",
        "coveragepy-7.0.5__cobertura-no-decl.xml",
        "coveragepy36__cobertura-coverage-03.xml",
        "coveragepy__cobertura-missing-branches.xml",
        "coverlet-cobertura__csharp.xml",
        "dotnet-cobertura__absolute-windows-path.xml",
        "dotnet-cobertura__branch-without-condition-coverage.xml",
        "dotnet-cobertura__sample.xml",
        "gcovr__cobertura-conditions-space-in-source.xml",
        "gcovr__cobertura-virtual-classes.xml",
        "gocover-cobertura__go-init.xml",
        "istanbul-cobertura__coffeescript.xml",
        "istanbul-cobertura__typescript.xml",
        "luacov-cobertura__lua.xml",
        "php-code-coverage__cobertura-template-placeholders.xml",
        "simplecov-cobertura__ruby.xml",
    ],
    "lcov": [
        "coveragepy__lcov-python.info",
        "flutter-test__lcov.info",
        "gcovr__lcov-VER-exception-branches.info",
        "istanbul__lcov-typescript.info",
        "jacoco2lcov__java-lambdas.info",
        "lcov-edge__large-hit-counts.info",
        "lcov-testsuite__exception-branch-expr.info",
        "lcov-testsuite__format-edge-numbers.info",
        "lcov-testsuite__mcdc.info",
        "lcov2-gcov__cpp-FNL-FNA.info",
        "lcov__multi-file-no-summary.info",
        "solidity-coverage__lcov.info",
    ],
    "jacoco": [
        "gcovr__jacoco.xml",
        "jacoco-aggregate__groups.xml",
        "jacoco-edge__invalid-ci.xml",
        "jacoco-edge__no-sourcefilename.xml",
        "jacoco-gradle__groovy-shared-library.xml",
        "jacoco-maven__analysis-model-1.1MB.xml",
        "jacoco-maven__single-line-dtd-1.0.xml",
        "pester-jacoco__powershell.xml",
    ],
    "coveragepy-json": [
        "coveragepy-json__format3-branches.json",
        "coveragepy-json__format3-v7.12-functions-classes.json",
        "coveragepy-json__v7.3-no-format.json",
    ],
    "clover": [
        "clover-1.3__maven-java.xml",
        "clover-edge__empty.xml",
        "clover-edge__no-xml-decl.xml",
        "clover-istanbul__js.xml",
        "gcovr__clover.xml",
        "phpunit-clover__empty-project.xml",
        "phpunit-clover__php-code-coverage.xml",
    ],
    "gocover": [
        "go-cover__all-uncovered.profile",
        "go-cover__duplicate-blocks.out",
        "go-cover__invalid-truncated.profile",
        "go-cover__mode-atomic-large.profile",
        "go-cover__mode-set.out",
    ],
}
UNSUPPORTED = ["gcovr__json.json", "gcovr__sonarqube-generic.xml", "jacoco-csv__jacoco.csv"]


@pytest.mark.parametrize(
    ("fmt", "name"), [(fmt, name) for fmt, names in EXPECTED.items() for name in names]
)
def test_detected_by_content_even_without_a_telling_name(
    fmt: str, name: str, tmp_path: Path
) -> None:
    anonymous = tmp_path / "report.dat"  # the name says nothing: only content decides
    shutil.copyfile(COV / name, anonymous)
    assert default_registry().detect(anonymous).name == fmt


def test_every_corpus_file_is_covered_by_this_test() -> None:
    listed = {n for names in EXPECTED.values() for n in names} | set(UNSUPPORTED)
    present = {p.name for p in COV.iterdir() if p.name != "NOTICE.md"}
    assert present == listed


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_formats_are_an_error_listing_the_supported(name: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_report(COV / name, ctx=ReadContext(root=tmp_path))
    for fmt in EXPECTED:
        assert fmt in str(exc.value)


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE coverage [\n'
    '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    '<coverage line-rate="1"><packages><package name="p"><classes>'
    '<class name="a" filename="&xxe;"><lines><line number="1" hits="1"/></lines></class>'
    "</classes></package></packages></coverage>\n"
)
BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE report [\n <!ENTITY a "aaaaaaaaaa">\n'
    ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    '<report name="&c;"><package name="p"><sourcefile name="A.java">'
    '<line nr="1" ci="1"/></sourcefile></package></report>\n'
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE coverage SYSTEM "file:///etc/passwd">\n'
    '<coverage line-rate="1"><packages><package name="p"><classes>'
    '<class name="a" filename="a.py"><lines><line number="1" hits="1"/></lines></class>'
    "</classes></package></packages></coverage>\n"
)


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [("cobertura", XXE, 3), ("jacoco", BOMB, 3)],
)
def test_entities_are_refused(fmt: str, text: str, line: int, tmp_path: Path) -> None:
    report = tmp_path / "hostile.xml"
    report.write_text(text)
    with pytest.raises(InputError) as exc:
        read_report(report, format=fmt, ctx=ReadContext(root=tmp_path))
    assert str(exc.value).startswith(f"{report}:{line}: refused")
    assert "root:" not in str(exc.value)


def test_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    report = tmp_path / "dtd.xml"
    report.write_text(EXTERNAL_DTD)
    data, _ = read_report(report, ctx=ReadContext(root=tmp_path))
    assert list(data.coverage.files) == ["a.py"]
    assert "root:" not in repr(data)


@pytest.mark.parametrize(
    "name",
    [
        "coveragepy__cobertura-missing-branches.xml",
        "jacoco-maven__analysis-model-1.1MB.xml",
        "clover-istanbul__js.xml",
    ],
)
def test_truncated_xml_names_file_and_line(name: str, tmp_path: Path) -> None:
    data = (COV / name).read_bytes()
    report = tmp_path / name
    report.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError) as exc:
        read_report(report, ctx=ReadContext(root=tmp_path))
    msg = str(exc.value)
    assert msg.startswith(f"{report}:")
    assert int(msg.split(":")[1]) >= 1
    assert "malformed XML" in msg


@pytest.mark.parametrize(
    "fmt", ["cobertura", "lcov", "jacoco", "coveragepy-json", "clover", "gocover"]
)
def test_empty_file_is_one_error(fmt: str, tmp_path: Path) -> None:
    report = tmp_path / "empty"
    report.write_text("")
    with pytest.raises(InputError, match=r"empty:1: report is empty"):
        read_report(report, format=fmt, ctx=ReadContext(root=tmp_path))


def test_wrong_encoding_in_xml(tmp_path: Path) -> None:
    report = tmp_path / "latin1.xml"
    report.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\n<coverage line-rate="1"><packages>\n'
        b'<class filename="caf\xe9.py"><lines><line number="1" hits="1"/></lines></class>'
        b"</packages></coverage>\n"
    )
    with pytest.raises(InputError, match=r"latin1.xml:3: malformed XML"):
        read_report(report, ctx=ReadContext(root=tmp_path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such report file"):
        read_report(tmp_path / "nope.xml", format="cobertura")
