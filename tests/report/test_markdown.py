from __future__ import annotations

from testgate.model import TestCase
from testgate.report.markdown import md_cell, md_code, render_markdown

from ._runs import XSS_NAME, hostile_run


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    cell = md_cell("a|b <img src=x>\nnext `code`")
    assert "|" not in cell.replace("\\|", "")
    assert "<" not in cell
    assert "\n" not in cell


def test_code_fence_cannot_be_closed_by_the_text() -> None:
    block = md_code("before\n```\n<script>")
    fence = block.split("text", 1)[0]
    assert len(fence) > 3
    assert block.endswith(fence)


def test_summary_has_verdict_totals_and_failures() -> None:
    md = render_markdown(hostile_run())
    assert "Tests or steps failed" in md
    assert "tests: 21 passed, 2 failed, 1 skipped, 1 flaky" in md.replace("**", "")
    assert "Failing tests (2)" in md
    assert XSS_NAME not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md


def test_summary_fits_githubs_comment_limit() -> None:
    run = hostile_run()
    run.tests += [
        TestCase("s", "c", f"test_{i}", status="failed", message="x" * 3000) for i in range(500)
    ]
    run.finalize()
    md = render_markdown(run)
    assert len(md) <= 65_536
    assert "more failing test(s) not shown" in md
