"""lcov tracefiles from real producers, checked against their own LF/LH and BRF/BRH summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters.lcov import read_lcov
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def read(path: Path, root: Path) -> Coverage:
    data, ref = read_report(path, ctx=ReadContext(root=root))
    assert ref.format == "lcov"
    return data.coverage


def summary(path: Path, key: str) -> int | None:
    """The sum of one summary record (LF, LH, BRF, BRH) over all records, as the producer wrote."""
    vals = [
        int(line.split(":", 1)[1])
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(key + ":")
    ]
    return sum(vals) if vals else None


@pytest.mark.parametrize(
    "name",
    [
        "coveragepy__lcov-python.info",  # coverage.py, FN with end line
        "flutter-test__lcov.info",
        "istanbul__lcov-typescript.info",  # 'end_of_record ' with a trailing space
        "jacoco2lcov__java-lambdas.info",  # JVM signatures in FN names
        "lcov-testsuite__exception-branch-expr.info",  # e0 blocks, 5-field BRDA
        "lcov-testsuite__mcdc.info",  # MC/DC records are skipped
        "lcov2-gcov__cpp-FNL-FNA.info",  # lcov 2.x function records
        "solidity-coverage__lcov.info",  # Windows paths with spaces
    ],
)
def test_line_totals_equal_lf_lh(name: str, tmp_path: Path) -> None:
    cl, tl, _cb, _tb = read(COV / name, tmp_path).totals()
    assert (cl, tl) == (summary(COV / name, "LH"), summary(COV / name, "LF"))


@pytest.mark.parametrize(
    "name",
    [
        "istanbul__lcov-typescript.info",
        "jacoco2lcov__java-lambdas.info",
        "lcov-testsuite__exception-branch-expr.info",
        "gcovr__lcov-VER-exception-branches.info",  # '-' taken and exception blocks
        "solidity-coverage__lcov.info",
    ],
)
def test_branch_totals_equal_brf_brh(name: str, tmp_path: Path) -> None:
    _cl, _tl, cb, tb = read(COV / name, tmp_path).totals()
    assert (cb, tb) == (summary(COV / name, "BRH"), summary(COV / name, "BRF"))


def test_gcovr_duplicate_da_lines_merge_into_one_line(tmp_path: Path) -> None:
    # gcovr writes a line twice when two functions share it (LF counts 30, 24 distinct lines);
    # lcov itself adds such counts up
    cov = read(COV / "gcovr__lcov-VER-exception-branches.info", tmp_path)
    fc = cov.files["tests/virtual-classes/output/main.cpp"]
    assert fc.total_lines == 24
    assert fc.lines[10] == 3
    assert fc.branches[54] == (3, 6)  # three taken, three exception branches never reached


def test_large_hit_counts_and_trailing_garbage(tmp_path: Path) -> None:
    cov = read(COV / "lcov-edge__large-hit-counts.info", tmp_path)
    (fc,) = cov.files.values()
    assert fc.lines == {1: 2874063630, 2: 0}
    assert fc.branches == {1: (1, 1), 2: (0, 1)}


def test_records_without_summaries(tmp_path: Path) -> None:
    cov = read(COV / "lcov__multi-file-no-summary.info", tmp_path)
    assert sorted(cov.files) == ["lib/module.c", "src/main.ts", "src/utils/helper.ts"]
    assert cov.files["src/main.ts"].lines == {10: 12, 20: 0, 30: 1}
    assert cov.files["src/main.ts"].branches == {20: (1, 2)}


def test_records_of_the_same_file_add_up(tmp_path: Path) -> None:
    report = tmp_path / "merged.info"
    report.write_text(
        "TN:unit\nSF:src/a.c\nDA:1,1\nDA:2,0\nDA:3,0\nBRDA:2,0,0,-\nBRDA:2,0,1,-\n"
        "end_of_record\n"
        "TN:integration\nSF:./src/a.c\nDA:1,2\nDA:2,5\nDA:4,0\nBRDA:2,0,0,3\nBRDA:2,0,1,0\n"
        "end_of_record\n"
    )
    cov = read_lcov(report, ReadContext(root=tmp_path)).coverage
    assert list(cov.files) == ["src/a.c"]
    fc = cov.files["src/a.c"]
    assert fc.lines == {1: 3, 2: 5, 3: 0, 4: 0}
    assert fc.branches == {2: (1, 2)}


def test_floats_scientific_and_negative_counts(tmp_path: Path) -> None:
    report = tmp_path / "nums.info"
    report.write_text(
        "SF:x.c\nDA:1,1.0e+3\nDA:2,-4\nDA:3,2.5\nDA:4,7,0a1b2c3d\nBRDA:1,0,0,-1\n"
        "BRDA:1,0,1,1e2\nend_of_record\n"
    )
    fc = read_lcov(report, ReadContext(root=tmp_path)).coverage.files["x.c"]
    assert fc.lines == {1: 1000, 2: 0, 3: 2, 4: 7}
    assert fc.branches == {1: (1, 2)}


def test_absolute_ci_paths_are_made_relative(tmp_path: Path) -> None:
    (tmp_path / "lib" / "src" / "schema").mkdir(parents=True)
    (tmp_path / "lib" / "src" / "schema" / "metadata.dart").write_text("")
    cov = read(COV / "flutter-test__lcov.info", tmp_path)
    assert "lib/src/schema/metadata.dart" in cov.files


def test_windows_paths_with_spaces(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "FundMe.sol").write_text("")
    cov = read(COV / "solidity-coverage__lcov.info", tmp_path)
    assert "contracts/FundMe.sol" in cov.files
    # not present here: kept as written, with forward slashes
    assert (
        "C:/Users/sivasunil/Desktop/blockchain dev/Patrick course/hardhat-fundme-2/"
        "contracts/PriceConverter.sol" in cov.files
    )


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("TN:\nSF:a.c\nDA:1,1\nDA:2,", 4, "malformed record"),
        ("TN:\nSF:a.c\nDA:1,1\nDA:2,1\n", 4, "file ends inside the record"),
        ("TN:\nSF:a.c\nDA:one,1\nend_of_record\n", 3, "malformed record"),
        ("TN:\nDA:1,1\n", 2, "before any SF"),
        ("SF:a.c\nDA:1,1\nSF:b.c\n", 3, "still open"),
        ("TN:\nSF:a.c\nBRDA:1\nend_of_record\n", 3, "malformed record"),
        ("hello\nworld\n", 1, "no SF: record"),
    ],
)
def test_broken_tracefiles_are_one_error_naming_file_and_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    report = tmp_path / "bad.info"
    report.write_text(text)
    with pytest.raises(InputError) as exc:
        read_lcov(report, ReadContext(root=tmp_path))
    assert str(exc.value).startswith(f"{report}:{line}:")
    assert what in str(exc.value)


def test_lcov_testsuite_garbage_number_is_refused(tmp_path: Path) -> None:
    # lcov's own test of malformed counts ('1.a0e+19')
    with pytest.raises(InputError, match=r"format-edge-numbers.info:8: malformed record"):
        read(COV / "lcov-testsuite__format-edge-numbers.info", tmp_path)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    report = tmp_path / "latin1.info"
    report.write_bytes(
        b"TN:\nSF:ok.c\nDA:1,1\nend_of_record\nSF:caf\xe9.c\nDA:1,1\nend_of_record\n"
    )
    with pytest.raises(InputError, match=r"latin1.info:5: not UTF-8"):
        read_lcov(report, ReadContext(root=tmp_path))


def test_empty_file(tmp_path: Path) -> None:
    report = tmp_path / "empty.info"
    report.write_text("")
    with pytest.raises(InputError, match=r"empty.info:1: report is empty"):
        read_report(report, format="lcov")


@pytest.mark.parametrize("name", sorted(p.name for p in COV.glob("*.info")))
def test_fast_path_and_line_reader_agree(name: str) -> None:
    """Where the fast path reads a file, it reads exactly what the line-by-line reader reads."""
    from testgate.adapters.lcov import _read_fast, _read_slow

    fast = _read_fast(COV / name)
    if name == "lcov-testsuite__format-edge-numbers.info":
        assert fast is None  # garbage counts: left to the reader that names the line
        return
    assert fast is not None
    assert fast == _read_slow(COV / name)


def test_a_line_with_many_branches_and_a_record_with_two_files(tmp_path: Path) -> None:
    """A switch with 70 branches (beyond the fast path's table) and a missing end_of_record."""
    from testgate.adapters.lcov import _read_fast, _read_slow

    brda = "".join(f"BRDA:5,0,{b},{b % 3}\n" for b in range(70))
    many = tmp_path / "switch.info"
    many.write_text(f"SF:sw.c\n{brda}DA:5,9\nDA:6,0\nend_of_record\n")
    cov = read_lcov(many, ReadContext(root=tmp_path))
    assert cov.coverage.files["sw.c"].branches == {5: (46, 70)}
    assert _read_fast(many) == _read_slow(many)

    two = tmp_path / "two.info"
    two.write_text("SF:a.c\nDA:1,1\nend_of_record\nSF:b.c\nDA:1,1\nSF:c.c\nDA:2,1\nend_of_record\n")
    assert _read_fast(two) is None  # the line reader names the line
    with pytest.raises(InputError, match=r"two.info:6: SF: record while the record"):
        read_lcov(two, ReadContext(root=tmp_path))


def test_varied_hit_counts_read_alike_both_ways(tmp_path: Path) -> None:
    """Pairs too varied for the fast path's memo switch it to parsing numbers, same result."""
    from testgate.adapters.lcov import _read_fast, _read_slow

    records = []
    for f in range(40):
        da = "".join(f"DA:{n},{f * 1000 + n * 7}\n" for n in range(1, 300))
        records.append(f"SF:f{f}.c\n{da}BRDA:3,0,0,{f}\nBRDA:3,0,1,-\nend_of_record\n")
    report = tmp_path / "varied.info"
    report.write_text("".join(records))
    fast = _read_fast(report)
    assert fast is not None
    assert fast == _read_slow(report)
    assert fast["f39.c"][0][299] == 39000 + 299 * 7
