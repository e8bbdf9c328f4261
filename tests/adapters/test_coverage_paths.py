"""Path normalisation shared by the coverage adapters, and merging reports of the same file."""

from __future__ import annotations

from pathlib import Path

import pytest

from testgate.adapters._paths import PathNormalizer, clean, is_absolute, normalize_path
from testgate.adapters.registry import ReadContext, read_report
from testgate.model import Run


def touch(root: Path, rel: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("./src/a.py", "src/a.py"),
        (".\\scripts\\maths.lua", "scripts/maths.lua"),
        ("  src//pkg/../a.py \n", "src/a.py"),
        ("D:\\a\\app\\src\\x.cs", "D:/a/app/src/x.cs"),
        ("/_/Lib/IssueKeys.cs", "/_/Lib/IssueKeys.cs"),
        ("src/", "src"),
        (".", ""),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_is_absolute() -> None:
    assert is_absolute("/home/runner/x.py")
    assert is_absolute("C:/x.py")
    assert not is_absolute("src/x.py")
    assert not is_absolute("C_drive/x.py")


def test_absolute_path_under_root_becomes_relative(tmp_path: Path) -> None:
    assert normalize_path(f"{tmp_path}/src/a.py", tmp_path) == "src/a.py"


def test_windows_path_under_a_windows_root(tmp_path: Path) -> None:
    norm = PathNormalizer(tmp_path)
    norm._root_s = "D:/a/app"  # as if the root were a Windows checkout
    norm._root_prefix = "D:/a/app/"
    assert norm("d:\\a\\app\\src\\x.cs") == "src/x.cs"


def test_foreign_ci_prefix_is_stripped_to_the_longest_existing_suffix(tmp_path: Path) -> None:
    touch(tmp_path, "src/app/models.py")
    touch(tmp_path, "models.py")
    assert (
        normalize_path("/home/runner/work/app/app/src/app/models.py", tmp_path)
        == "src/app/models.py"
    )
    assert normalize_path("D:\\a\\app\\app\\src\\app\\models.py", tmp_path) == "src/app/models.py"


def test_foreign_absolute_path_without_sources_stays_absolute(tmp_path: Path) -> None:
    assert normalize_path("/build/x/src/a.c", tmp_path) == "/build/x/src/a.c"
    assert normalize_path("C:\\build\\a.c", tmp_path) == "C:/build/a.c"


def test_source_roots_pick_the_one_where_the_file_exists(tmp_path: Path) -> None:
    touch(tmp_path, "lib/util.py")
    sources = [f"{tmp_path}/src", f"{tmp_path}/lib"]
    assert normalize_path("util.py", tmp_path, sources) == "lib/util.py"


def test_source_roots_default_to_the_first_when_nothing_exists(tmp_path: Path) -> None:
    sources = [f"{tmp_path}/src", f"{tmp_path}/lib"]
    assert normalize_path("pkg/util.py", tmp_path, sources) == "src/pkg/util.py"
    assert normalize_path("util.py", tmp_path, ["build/gen"]) == "build/gen/util.py"


def test_foreign_source_root_is_stripped(tmp_path: Path) -> None:
    touch(tmp_path, "src/pkg/util.py")
    sources = ["/home/runner/work/app/app/src"]
    assert normalize_path("pkg/util.py", tmp_path, sources) == "src/pkg/util.py"
    # nothing found: the path as the producer wrote it, not the foreign absolute one
    assert normalize_path("pkg/other.py", tmp_path, sources) == "pkg/other.py"


def test_flag_like_sources_are_ignored(tmp_path: Path) -> None:
    assert normalize_path("Sample.cs", tmp_path, ["--source", "  "]) == "Sample.cs"


def test_relative_path_found_by_its_tail(tmp_path: Path) -> None:
    touch(tmp_path, "core/src/main/java/org/x/A.java")
    touch(tmp_path, "node_modules/org/x/B.java")  # never listed
    norm = PathNormalizer(tmp_path)
    assert norm("org/x/A.java") == "core/src/main/java/org/x/A.java"
    assert norm("org/x/B.java") == "org/x/B.java"


def test_ambiguous_tail_is_not_guessed(tmp_path: Path) -> None:
    touch(tmp_path, "a/pkg/__init__.py")
    touch(tmp_path, "b/pkg/__init__.py")
    assert normalize_path("pkg/__init__.py", tmp_path) == "pkg/__init__.py"


def test_reports_from_two_machines_merge_into_one_file(tmp_path: Path) -> None:
    """Cobertura from Linux CI, lcov from a Windows job and JaCoCo-style tails: one file."""
    touch(tmp_path, "src/app/calc.py")
    cob = tmp_path / "linux.xml"
    cob.write_text(
        '<coverage line-rate="0.5"><sources><source>/home/runner/work/app/app/src</source>'
        '</sources><packages><package name="app"><classes><class name="calc" '
        'filename="app/calc.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/>'
        '<line number="3" hits="0" branch="true" condition-coverage="0% (0/2)"/>'
        "</lines></class></classes></package></packages></coverage>"
    )
    info = tmp_path / "windows.info"
    info.write_text(
        "TN:\nSF:D:\\a\\app\\app\\src\\app\\calc.py\nDA:1,2\nDA:2,3\nDA:3,0\nDA:4,0\n"
        "BRDA:3,0,0,1\nBRDA:3,0,1,-\nend_of_record\n"
    )
    run = Run(id="r")
    for report in (cob, info):
        data, ref = read_report(report, ctx=ReadContext(root=tmp_path))
        run.absorb(data, ref)
    assert list(run.coverage.files) == ["src/app/calc.py"]
    fc = run.coverage.files["src/app/calc.py"]
    assert fc.lines == {1: 3, 2: 3, 3: 0, 4: 0}
    assert fc.branches == {3: (1, 2)}
    run.finalize()
    assert run.metrics["coverage.line"] == 50.0
    assert run.metrics["coverage.branch"] == 50.0


def test_missing_directories_and_unclean_paths(tmp_path: Path) -> None:
    touch(tmp_path, "src/pkg/a.py")
    norm = PathNormalizer(tmp_path)
    assert not norm.exists("gone/pkg/a.py")
    assert not norm.exists("src/gone/a.py")
    assert norm.exists("src/pkg/a.py")
    assert norm.exists("src/./pkg//a.py")
    assert norm("src/pkg/../pkg/a.py") == "src/pkg/a.py"
    assert norm("pkg/a.py") == "src/pkg/a.py"  # found by its tail
    assert norm(str(tmp_path / "src" / "pkg" / "a.py")) == "src/pkg/a.py"
    assert clean("C:/x/./y") == "C:/x/y"
    assert clean("/") == "/"
