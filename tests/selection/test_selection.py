"""``testgate select`` on a real project whose map a real pytest + coverage.py run recorded."""

from __future__ import annotations

import pytest

from tests.selection.conftest import ALL_TESTS, Repo, selected


def test_a_function_edit_selects_only_the_tests_that_ran_it(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = repo.select(capsys)
    assert result["full"] is False
    assert selected(result) == {"tests/test_prices.py::test_discount"}
    (why,) = [t["why"] for t in result["tests"]]
    assert why == "ran src/shop/prices.py::discount, which changed"
    step = result["steps"][0]
    # test_data_file ran no measured code: the map knows it from the step's JUnit report
    assert step["run"] is True
    assert step["whole"] is False
    assert step["deselected"] == 4


def test_a_function_used_by_several_tests_selects_all_of_them(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return PRICES[item]", "return PRICES[item] + 0")
    assert selected(repo.select(capsys)) == {
        "tests/test_cart.py::test_total",
        "tests/test_cart.py::test_tax",
    }


def test_comment_docstring_and_whitespace_edits_select_nothing(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/cart.py", '"""Sum of the prices."""', '"""The sum, of the prices."""')
    repo.edit(
        "src/shop/cart.py", "def with_tax(items):", "# tax included\n\n\ndef with_tax(items):"
    )
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p*0.9  # ten percent")
    result = repo.select(capsys)
    assert result["full"] is False
    assert result["tests"] == []
    assert result["steps"][0]["run"] is False
    assert result["steps"][0]["why"] == "no test ran the changed code"


def test_a_module_level_edit_selects_the_tests_of_that_module_and_its_importers(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", '"b": 2', '"b": 3')
    result = repo.select(capsys)
    # cart imports prices at import time: test_cart runs too, though it never ran a line of
    # prices.py's module level during a test
    assert selected(result) == {
        "tests/test_prices.py::test_discount",
        "tests/test_prices.py::test_data_file",
        "tests/test_cart.py::test_total",
        "tests/test_cart.py::test_tax",
    }
    assert "tests/test_other.py::test_helper" not in selected(result)


def test_a_constant_read_through_an_import_selects_the_importing_tests(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/cart.py", "TAX = 0.2", "TAX = 0.25")
    assert selected(repo.select(capsys)) == {
        "tests/test_cart.py::test_total",
        "tests/test_cart.py::test_tax",
    }


def test_a_new_test_is_selected_and_named(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("tests/test_new.py", "def test_brand_new():\n    assert True\n")
    repo.edit(
        "tests/test_other.py",
        "def test_helper():",
        "def test_added():\n    assert 1\n\n\ndef test_helper():",
    )
    result = repo.select(capsys)
    chosen = selected(result)
    assert "tests/test_new.py::test_brand_new" in chosen
    assert "tests/test_other.py::test_added" in chosen
    by_id = {t["id"]: t["why"] for t in result["tests"]}
    assert by_id["tests/test_new.py::test_brand_new"] == "new test in tests/test_new.py"


def test_a_deleted_test_and_a_deleted_test_file(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("tests/test_cart.py", 'def test_tax():\n    assert with_tax(["a"]) == 1.2\n', "")
    (repo.root / "tests/test_other.py").unlink()
    result = repo.select(capsys)
    assert result["full"] is False
    # the rest of test_cart.py runs (its file changed); nothing of the deleted file is named
    assert selected(result) == {"tests/test_cart.py::test_total"}


def test_a_renamed_module_selects_the_tests_that_used_it(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.git("mv", "src/shop/other.py", "src/shop/util.py")
    repo.edit("tests/test_other.py", "from shop.other import", "from shop.util import")
    result = repo.select(capsys)
    assert selected(result) == {"tests/test_other.py::test_helper"}
    assert any("src/shop/other.py" in t["why"] or "test_other" in t["why"] for t in result["tests"])


def test_a_conftest_edit_forces_a_full_run(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("tests/conftest.py", "import pytest\n")
    result = repo.select(capsys)
    assert result["full"] is True
    assert "tests/conftest.py changed" in result["reason"]
    assert result["tests"] == []
    assert all(s["run"] for s in result["steps"])


def test_a_lockfile_or_the_config_forces_a_full_run(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("requirements.txt", "requests\n")
    assert repo.select(capsys)["full"] is True
    repo.git("checkout", "-q", "--", ".")
    (repo.root / "requirements.txt").unlink()
    repo.edit("testgate.yaml", "pipeline:", "project: shop\npipeline:")
    result = repo.select(capsys)
    assert result["full"] is True
    assert "testgate.yaml" in result["reason"]


def test_a_data_file_edit_runs_the_step_whole(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("tests/data/limits.json", "10", "11")
    result = repo.select(capsys)
    assert result["full"] is False
    step = result["steps"][0]
    assert step["run"] is True
    assert step["whole"] is True
    assert "coverage cannot see" in step["why"]
    assert selected(result) == ALL_TESTS


def _select_with(repo: Repo, **selection: object) -> dict:  # type: ignore[type-arg]
    """Select with selection settings changed in memory (the file stays as recorded, so the
    change of the configuration itself does not force a full run)."""
    import os

    from testgate import workflow

    cwd = os.getcwd()
    os.chdir(repo.root)
    try:
        loaded = workflow.load(None)
        spec = loaded.source.config.selection
        for k, v in selection.items():
            setattr(spec, k, v)
        return workflow.select(loaded).to_dict()
    finally:
        os.chdir(cwd)


def test_always_run_on_makes_a_data_file_force_a_full_run(repo: Repo) -> None:
    repo.edit("tests/data/limits.json", "10", "11")
    result = _select_with(repo, always_run_on=["tests/data/**"])
    assert result["full"] is True
    assert result["reason"].startswith("tests/data/limits.json changed (matches 'tests/data/**'")


def test_documentation_changes_select_nothing(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("README.md", "# shop", "# the shop")
    result = repo.select(capsys)
    assert result["full"] is False
    assert result["tests"] == []
    assert result["steps"][0]["run"] is False


def test_a_broken_base_ref_selects_everything_and_says_so(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = repo.select(capsys, "--base", "no-such-branch")
    assert result["full"] is True
    assert "unknown base ref 'no-such-branch'" in result["reason"]
    code, out = repo.testgate("select", "--base", "no-such-branch", capsys=capsys)
    assert code == 0
    assert out.startswith("full run: unknown base ref 'no-such-branch'")


def test_an_empty_map_selects_everything_and_says_so(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo.root / ".testgate" / "history.db").unlink()
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = repo.select(capsys)
    assert result["full"] is True
    assert result["reason"].startswith("no test map yet for unit/pytest")


def test_the_default_branch_runs_everything(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.git("checkout", "-q", "main")
    result = repo.select(capsys)
    assert result["full"] is True
    assert result["reason"] == "on the default branch 'main' everything runs"


def test_failed_last_time_always_runs(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    # a run where test_helper fails is recorded; a change that does not concern it follows
    repo.edit("src/shop/other.py", "return 42", "return 41")
    code, out = repo.testgate("run", "--no-cache", capsys=capsys)
    assert code == 1, out
    repo.git("checkout", "-q", "--", "src/shop/other.py")
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = repo.select(capsys)
    by_id = {t["id"]: t for t in result["tests"]}
    assert by_id["tests/test_other.py::test_helper"]["why"] == "failed last time"
    # riskiest first: the test that failed last time comes before the one the change touched
    assert result["tests"][0]["id"] == "tests/test_other.py::test_helper"
    assert (
        by_id["tests/test_other.py::test_helper"]["risk"]
        > by_id["tests/test_prices.py::test_discount"]["risk"] - 1
    )


def test_unskippable_tests_always_run(repo: Repo) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    result = _select_with(repo, unskippable=["*::test_helper"])
    whys = {t["id"]: t["why"] for t in result["tests"]}
    assert whys == {
        "tests/test_prices.py::test_discount": "ran src/shop/prices.py::discount, which changed",
        "tests/test_other.py::test_helper": "unskippable",
    }


def test_format_pytest_prints_node_ids_in_run_order(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return PRICES[item]", "return PRICES[item] + 0")
    code, out = repo.testgate("select", "--format", "pytest", capsys=capsys)
    assert code == 0
    assert sorted(out.split()) == ["tests/test_cart.py::test_tax", "tests/test_cart.py::test_total"]


def test_explain_says_why_per_step_and_test(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    code, out = repo.testgate("select", "--explain", capsys=capsys)
    assert code == 0
    assert "run  unit/pytest [pytest] (narrowed)" in out
    assert "tests/test_prices.py::test_discount  (risk" in out
    assert "ran src/shop/prices.py::discount, which changed" in out
    assert "skipped tests/test_other.py::test_helper: ran none of the changed code" in out
    assert "cache: not cached (the step cache is off: cache: true turns it on)" in out


def test_head_reads_the_files_of_that_commit_not_the_working_tree(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit("src/shop/prices.py", "return p * 0.9", "return p * 0.8")
    repo.git("commit", "-qam", "discount")
    repo.edit("src/shop/prices.py", "return p * 0.8", "return p * 0.9")  # undone, uncommitted
    assert repo.select(capsys)["tests"] == []
    result = repo.select(capsys, "--head", "HEAD", "--base", "main")
    assert selected(result) == {"tests/test_prices.py::test_discount"}
    assert "testgate-select-" not in repo.git("worktree", "list")  # the worktree is gone
    bad = repo.select(capsys, "--head", "nope")
    assert bad["full"] is True
    assert bad["reason"] == "unknown ref 'nope' (no such branch, tag or commit)"
