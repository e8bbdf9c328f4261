"""Go cover profiles: modes, overlapping and duplicate blocks, module paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters.gocover import read_gocover
from testgate.adapters.registry import ReadContext, read_report
from testgate.errors import InputError
from testgate.model import Coverage

COV = Path(__file__).parents[1] / "fixtures" / "coverage"


def read(path: Path, root: Path) -> Coverage:
    data, ref = read_report(path, ctx=ReadContext(root=root))
    assert ref.format == "gocover"
    return data.coverage


def statement_totals(path: Path) -> tuple[int, int]:
    """``go tool cover -func``'s totals: covered statements and statements (blocks merged)."""
    blocks: dict[str, tuple[int, int]] = {}
    for line in path.read_text().splitlines()[1:]:
        if line.strip():
            where, stmts, count = line.rsplit(" ", 2)
            old = blocks.get(where, (0, 0))
            blocks[where] = (int(stmts), old[1] + int(count))
    return sum(s for s, c in blocks.values() if c > 0), sum(s for s, _ in blocks.values())


def test_mode_set_with_overlapping_blocks(tmp_path: Path) -> None:
    cov = read(COV / "go-cover__mode-set.out", tmp_path)
    fc = cov.files["github.com/jandelgado/gcov2lcov/main.go"]
    # 45.44,49.38 count 1 and 46.44,50.38 count 0 overlap on 46-49: those lines ran
    assert fc.lines == {45: 1, 46: 1, 47: 1, 48: 1, 49: 1, 50: 0, 58: 1}


def test_duplicate_blocks_are_merged(tmp_path: Path) -> None:
    cov = read(COV / "go-cover__duplicate-blocks.out", tmp_path)
    # the same block listed with counts 0 and 1 (atomic mode): added, the block ran
    fc = cov.files["github.com/example/project/pkg/test/file4.go"]
    assert fc.lines == {10: 1, 11: 1}


def test_all_uncovered(tmp_path: Path) -> None:
    cov = read(COV / "go-cover__all-uncovered.profile", tmp_path)
    cl, tl, _, _ = cov.totals()
    assert cl == 0
    assert tl == 11  # lines 13-17 and 19-24


@pytest.mark.parametrize(
    "name",
    ["go-cover__mode-atomic-large.profile", "go-cover__duplicate-blocks.out"],
)
def test_every_covered_statement_block_gives_covered_lines(name: str, tmp_path: Path) -> None:
    cov = read(COV / name, tmp_path)
    covered_stmts, stmts = statement_totals(COV / name)
    cl, tl, _, _ = cov.totals()
    assert stmts > 0
    # lines and statements are different units; both must say "partly covered" alike
    assert (cl == 0) == (covered_stmts == 0)
    assert (cl == tl) == (covered_stmts == stmts)


def test_module_prefix_is_replaced_by_the_go_mod_directory(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module github.com/vladopajic/go-test-coverage/v2\n\ngo 1.22\n"
    )
    cov = read(COV / "go-cover__mode-atomic-large.profile", tmp_path)
    assert "pkg/testcoverage/badge.go" in cov.files
    assert all(not p.startswith("github.com/") for p in cov.files)


def test_module_in_a_subdirectory_of_a_monorepo(tmp_path: Path) -> None:
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "go.mod").write_text(
        'module "github.com/jandelgado/gcov2lcov"\n'
    )
    cov = read(COV / "go-cover__mode-set.out", tmp_path)
    assert list(cov.files) == ["services/api/main.go"]


def test_concatenated_profiles_are_accepted(tmp_path: Path) -> None:
    a = (COV / "go-cover__invalid-truncated.profile").read_text()
    profile = tmp_path / "all.out"
    profile.write_text(a + "\n" + a)  # two profiles, one 'mode:' line each
    fc = read_gocover(profile, ReadContext(root=tmp_path)).coverage.files[
        "github.com/vladopajic/go-test-coverage/v2/pkg/testcoverage/badge/generate.go"
    ]
    assert fc.lines[15] == 24  # atomic mode: counts add up (12 + 12)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("mode: set\na.go:1.1,2.2 1\n", 2, "malformed block"),
        ("mode: set\na.go:1.1,2.2 1 1\na.go:x.1,2.2 1 1\n", 3, "whole numbers"),
        ("mode: set\na.go:5.1,2.2 1 1\n", 2, "ends before it starts"),
        ("a.go:1.1,2.2 1 1\n", 1, "expected 'mode: set|count|atomic' first"),
        ("mode: fancy\n", 1, "unknown cover mode"),
        ("\n\n", 1, "report is empty"),
    ],
)
def test_broken_profiles_are_one_error_naming_file_and_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    profile = tmp_path / "bad.out"
    profile.write_text(text)
    with pytest.raises(InputError) as exc:
        read_gocover(profile, ReadContext(root=tmp_path))
    assert str(exc.value).startswith(f"{profile}:{line}:")
    assert what in str(exc.value)
