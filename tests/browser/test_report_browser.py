from __future__ import annotations

import re
from pathlib import Path

import pytest

from testgate.model import TestCase
from testgate.report.html import render_html

from ..report._runs import XSS_MESSAGE, XSS_NAME, hostile_run
from .conftest import Watched

expect = pytest.importorskip("playwright.sync_api").expect


def _open(page: Watched, html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")
    page.page.goto(path.as_uri())
    page.page.wait_for_selector("body[data-ready='1']")


def test_failure_and_its_cause_in_three_clicks_and_nothing_executes(
    page: Watched, tmp_path: Path
) -> None:
    run = hostile_run()
    _open(
        page,
        render_html(run, logs={"unit/pytest": "E   boom <script>alert(4)</script>"}),
        tmp_path / "report.html",
    )
    pg = page.page
    # click 1: the "failed" filter; the table shows only the two failures
    pg.click(".filters button[data-status='failed']")
    rows = pg.locator("#test-table tbody tr")
    assert rows.count() == 2
    assert pg.locator("#test-count").inner_text() == "2 of 24 tests"
    # the hostile name is shown as text
    assert rows.nth(0).locator("td.name").inner_text().startswith(XSS_NAME)
    # click 2: the failing row opens its failure, with message and trace
    rows.nth(1).click()
    failure = pg.locator("#failure-1")
    assert failure.get_attribute("open") is not None
    assert "ConnectionRefusedError" in failure.inner_text()
    # click 3: the step's log tail
    pg.click("#log-tails summary")
    assert "alert(4)" in pg.locator("#log-tails pre").inner_text()
    first = pg.locator("#failure-0")
    assert XSS_MESSAGE in first.locator(".msg pre").inner_text()
    page.screenshot("report-failures.png")
    page.assert_nothing_executed()


def test_search_and_pages_with_100k_tests(page: Watched, tmp_path: Path) -> None:
    run = hostile_run(n_passing=0)
    run.tests = [
        TestCase("big", f"pkg.mod{i % 100}.TestX", f"test_{i}", status="passed")
        for i in range(100_000)
    ]
    run.tests[54_321].status = "failed"
    run.tests[54_321].message = "the needle"
    run.finalize()
    _open(page, render_html(run), tmp_path / "big.html")
    pg = page.page
    # rendered page by page, never 100,000 rows
    assert pg.locator("#test-table tbody tr").count() == 100
    assert "page 1 of 1000" in pg.locator("#test-pager").inner_text()
    # the failing test is first in the unfiltered view
    assert pg.locator("#test-table tbody tr").first.locator("td.name").inner_text() == "test_54321"
    pg.fill("#search", "test_9999")
    expect(pg.locator("#test-count")).to_have_text(re.compile(r"^11 of 100000 tests"))
    assert pg.locator("#test-table tbody tr").count() == 11
    page.screenshot("report-100k.png")
    page.assert_nothing_executed()
