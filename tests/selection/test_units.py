"""Block fingerprints, globs, runner detection and command narrowing, node ids."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from testgate.select.blocks import MODULE, parse_blocks
from testgate.select.rules import glob_match, owner_depth
from testgate.select.runners import narrow_go, narrow_jest, narrow_node, runner_of
from testgate.select.testmap import junit_nodeid, nodeid_to_test_id

SOURCE = '''"""Module doc."""
import os

LIMIT = 3


@decorator(LIMIT)
def first(a, b=LIMIT):
    """Doc."""
    x = a + b
    return x


class Cart:
    """Cart doc."""

    size = 2

    def add(self, item):
        return item

    class Inner:
        def deep(self):
            def nested():
                return 1
            return nested()
'''


def test_blocks_and_their_spans() -> None:
    fb = parse_blocks(SOURCE)
    assert set(fb.blocks) == {"first", "Cart.add", "Cart.Inner.deep", "Cart.Inner.deep.nested"}
    assert fb.block_of(10) == "first"  # x = a + b
    assert fb.block_of(8) == MODULE  # the def line runs at import time
    assert fb.block_of(7) == MODULE  # so does the decorator
    assert fb.block_of(25) == "Cart.Inner.deep.nested"  # a nested function's body: its own
    assert fb.block_of(24) == "Cart.Inner.deep"  # its def line runs with the outer body
    assert fb.block_of(26) == "Cart.Inner.deep"  # and so does what follows it
    assert fb.block_of(18) == MODULE  # a class attribute


def test_comments_docstrings_whitespace_and_moves_change_nothing() -> None:
    base = parse_blocks(SOURCE)
    edited = SOURCE.replace('"""Doc."""', '"""Another doc."""').replace(
        "x = a + b", "x = a  +  b  # sum"
    )
    edited = edited.replace('"""Module doc."""', "# header\n\n\n")
    moved = parse_blocks(edited)
    assert moved.blocks == base.blocks
    assert moved.skeleton == base.skeleton


def test_a_nested_function_edit_changes_only_the_nested_block() -> None:
    base = parse_blocks(SOURCE)
    edited = parse_blocks(SOURCE.replace("return 1", "return 2"))
    assert {k for k in base.blocks if base.blocks[k] != edited.blocks[k]} == {
        "Cart.Inner.deep.nested"
    }


def test_a_body_edit_changes_one_block_and_a_module_edit_the_skeleton() -> None:
    base = parse_blocks(SOURCE)
    body = parse_blocks(SOURCE.replace("return item", "return [item]"))
    assert {k for k in base.blocks if base.blocks[k] != body.blocks[k]} == {"Cart.add"}
    assert body.skeleton == base.skeleton
    for edit in (("LIMIT = 3", "LIMIT = 4"), ("b=LIMIT", "b=2"), ("size = 2", "size = 3")):
        changed = parse_blocks(SOURCE.replace(*edit))
        assert changed.skeleton != base.skeleton, edit
        assert changed.blocks == base.blocks, edit


@given(st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=5))
def test_blank_lines_anywhere_change_no_checksum(top: int, middle: int) -> None:
    text = "\n" * top + SOURCE.replace("\n\nclass Cart", "\n" * (2 + middle) + "class Cart")
    fb = parse_blocks(text)
    base = parse_blocks(SOURCE)
    assert (fb.skeleton, fb.blocks) == (base.skeleton, base.blocks)


def test_globs() -> None:
    assert glob_match("conftest.py", "conftest.py")
    assert glob_match("tests/unit/conftest.py", "conftest.py")  # no slash: any depth
    assert glob_match(".github/workflows/ci.yml", ".github/workflows/**")
    assert not glob_match("github/workflows/ci.yml", ".github/workflows/**")
    assert glob_match("docs/a/b.md", "docs/**")
    assert glob_match("src/a/b/c.sql", "src/**/*.sql")
    assert glob_match("src/c.sql", "src/**/*.sql")
    assert not glob_match("lib/src/c.sql", "src/**/*.sql")
    assert glob_match("requirements-dev.txt", "requirements*.txt")
    assert not glob_match("src/x.py", "*.md")


def test_a_changed_file_belongs_to_the_most_specific_step_directory() -> None:
    assert owner_depth("web/src/app.js", ["", "web"]) == 1
    assert owner_depth("src/app.py", ["", "web"]) == 0
    assert owner_depth("src/app.py", ["web"]) == -1


def test_runner_detection() -> None:
    assert runner_of("python -m pytest -q tests") == "pytest"
    assert runner_of(["/venv/bin/pytest", "-x"]) == "pytest"
    assert runner_of("npx jest --ci") == "jest"
    assert runner_of("node --test --test-reporter=junit test/") == "node"
    assert runner_of("go test -json ./...") == "go"
    assert runner_of("ruff check .") == "other"


def test_narrowing_commands() -> None:
    assert (
        narrow_jest("npx jest --ci", ["src/a b.js"])
        == "npx jest --ci --findRelatedTests 'src/a b.js'"
    )
    assert narrow_jest(["jest"], ["x.js"]) == ["jest", "--findRelatedTests", "x.js"]
    assert (
        narrow_node(
            "node --test --test-reporter junit --test-reporter-destination=r.xml test/",
            ["test/b.test.js"],
        )
        == "node --test --test-reporter junit --test-reporter-destination=r.xml test/b.test.js"
    )
    assert narrow_node("node --test && echo done", ["x"]) is None  # shell operators: never
    assert narrow_go("go test -count 1 ./...", ["./pkg/a"]) == "go test -count 1 ./pkg/a"
    assert narrow_go("go test ./... | go-junit-report > r.xml", ["./a"]) is None


def test_node_ids_and_junit_ids_meet(tmp_path: Path) -> None:
    assert nodeid_to_test_id("tests/test_a.py::test_x[1-2]") == "tests.test_a::test_x[1-2]"
    assert nodeid_to_test_id("tests/test_a.py::TestC::test_y") == "tests.test_a.TestC::test_y"
    assert nodeid_to_test_id("tests/test_a.py::test_p[a/b.c]") == "tests.test_a::test_p[a/b.c]"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    assert (
        junit_nodeid("tests.test_a.TestC", "test_y", tmp_path) == "tests/test_a.py::TestC::test_y"
    )
    assert junit_nodeid("nowhere.test_b", "test_z", tmp_path) is None
