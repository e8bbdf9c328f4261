"""The HTML report in Chromium: sort, filter, search, jump, group, a chart's tooltip, the
history marks and failure groups, and a layout that neither overlaps nor overflows at 1280 px and
390 px. One browser page for the module; the report comes from a real recorded history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testgate.history.store import open_store
from testgate.history.view import history_view
from testgate.model import Run, StepResult, TestCase
from testgate.report.html import render_html

from ..history._runs import BROKEN, FLAKY, HEALTHY, Suite, case, make_run
from ..report._runs import XSS_NAME
from .conftest import Watched

expect = pytest.importorskip("playwright.sync_api").expect

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
OUTAGE = "psycopg.OperationalError: connection to server at 127.0.0.1:5432 refused"


def _current_run() -> Run:
    """Run 30: the broken test, one flaky test and a new failure; six tests failing with one
    cause (a partial outage); 240 more tests in two suites and two steps (three pages)."""
    tests = [case(n) for n in HEALTHY]
    tests[0] = case(HEALTHY[0], "failed")
    tests += [case(n, "failed" if n == FLAKY[0] else "passed") for n in FLAKY]
    tests.append(case(BROKEN, "failed"))
    for t in tests:
        t.step = "unit/pytest"
    for i in range(240):
        tests.append(
            TestCase(
                "integration" if i % 2 else "e2e",
                f"tests.it.test_mod{i % 4}",
                f"test_it_{i:03d}",
                duration_s=0.5 + (i % 7) * 0.25,
                file=f"tests/it/test_mod{i % 4}.py",
                step="integration/pytest",
            )
        )
    for i in range(6):
        tests[-1 - i].status = "error"
        tests[-1 - i].message = OUTAGE
    tests[-10].name = XSS_NAME
    tests[-10].status = "failed"
    tests[-10].message = "<b>bold</b> failure"
    run = make_run(30, tests)
    run.steps = [
        StepResult("unit", "pytest", "failed", exit_code=1, duration_s=3.0),
        StepResult("integration", "pytest", "failed", exit_code=1, duration_s=21.0),
    ]
    run.finalize()
    run.metrics["pipeline.duration_s"] = 24.5
    return run


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    runs = Suite().build()
    with open_store(f"sqlite:///{tmp / 'history.db'}") as store:
        for i, r in enumerate(runs):
            r.metrics["pipeline.duration_s"] = 20.0 + i % 5
            r.metrics["coverage.branch"] = 40.0 + i / 2
            store.record(r)
        run = _current_run()
        store.record(run)
        view = history_view(store, branch="main", run=run)
    path = tmp / "report.html"
    html = render_html(run, history=view, dashboard_url="http://127.0.0.1:8321/")
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(browser: Any, report: Path) -> Iterator[Watched]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    watched = Watched(pg)
    pg.goto(report.as_uri())
    pg.wait_for_selector("body[data-ready='1']")
    yield watched
    ctx.close()


def _names(pg: Any) -> list[str]:
    return list(
        pg.evaluate(
            "[...document.querySelectorAll('#test-table tbody tr:not(.group) td.name')]"
            ".map(td => td.firstChild.textContent)"
        )
    )


def _reset(pg: Any) -> None:
    pg.fill("#search", "")
    pg.select_option("#mark-filter", "")
    pg.select_option("#comp-filter", "")
    pg.select_option("#group-by", "")
    pg.click(".filters button[data-status='all']")


def test_sort_by_any_column(page: Watched) -> None:
    pg = page.page
    _reset(pg)
    # the default order puts the failures first
    first = pg.locator("#test-table tbody tr").first.locator("td").first.inner_text()
    assert first in ("failed", "error")
    pg.click("#test-table th[data-sort='duration']")
    durations = pg.locator("#test-table tbody tr td.num").all_inner_texts()
    assert durations[0] == "2.00 s"  # 0.5 + 6 * 0.25: the slowest first
    assert pg.locator("#test-table th[data-sort='duration']").get_attribute("aria-sort") == (
        "descending"
    )
    pg.click("#test-table th[data-sort='duration']")
    assert pg.locator("#test-table tbody tr td.num").first.inner_text() == "10 ms"
    pg.click("#test-table th[data-sort='name']")
    names = _names(pg)
    assert names == sorted(names)
    page.assert_nothing_executed()


def test_filter_by_status_history_mark_and_component_and_search(page: Watched) -> None:
    pg = page.page
    _reset(pg)
    pg.select_option("#mark-filter", "broken")
    expect(pg.locator("#test-count")).to_have_text("1 of 280 tests")
    assert _names(pg) == [BROKEN]
    mark = pg.locator("#test-table tbody tr td .pill.mark")
    assert mark.inner_text() == "broken"
    assert mark.get_attribute("title").startswith("broken since commit ")
    pg.select_option("#mark-filter", "new")
    # test_ok_00, the partial outage's six tests and the hostile one never failed before
    expect(pg.locator("#test-count")).to_have_text("8 of 280 tests")
    pg.select_option("#mark-filter", "")
    pg.select_option("#comp-filter", "unit/pytest")
    expect(pg.locator("#test-count")).to_have_text("40 of 280 tests")
    pg.click(".filters button[data-status='failed']")
    expect(pg.locator("#test-count")).to_have_text("3 of 280 tests")
    pg.select_option("#comp-filter", "")
    pg.click(".filters button[data-status='all']")
    pg.fill("#search", "test_it_11")
    expect(pg.locator("#test-count")).to_have_text(re.compile(r"^10 of 280 tests"))
    page.assert_nothing_executed()


def test_jump_to_a_page_and_group(page: Watched) -> None:
    pg = page.page
    _reset(pg)
    expect(pg.locator("#test-pager")).to_contain_text("page 1 of 3")
    pg.fill("#test-pager input.jump", "3")
    pg.click("#test-pager button.go")
    expect(pg.locator("#test-pager")).to_contain_text("page 3 of 3")
    assert pg.locator("#test-table tbody tr").count() == 80
    pg.select_option("#group-by", "suite")
    expect(pg.locator("#test-pager")).to_contain_text("page 1 of 3")
    groups = pg.locator("#test-table tbody tr.group").all_inner_texts()
    assert groups[0].startswith("e2e · 120 tests, 4 failed")
    pg.select_option("#group-by", "file")
    heads = pg.locator("#test-table tbody tr.group").all_inner_texts()
    assert heads[0].startswith("tests/it/test_mod0.py · 60 tests")
    page.screenshot("report-table-grouped.png")
    pg.locator("#tests").scroll_into_view_if_needed()
    pg.evaluate("document.getElementById('tests').scrollIntoView()")
    pg.screenshot(path=str(DOCS_IMAGES / "report-tests-table.png"), full_page=False)
    page.assert_nothing_executed()


def test_failures_grouped_with_the_partial_outage_labelled(page: Watched) -> None:
    pg = page.page
    groups = pg.locator("#failure-groups details.group")
    first = groups.first.locator("summary").inner_text()
    assert first.startswith("6")
    assert "partial outage: 6 tests failed with one cause" in first
    assert "OperationalError" in first
    # the outage; the three "AssertionError: boom" failures of one file (one cause); the hostile
    assert groups.count() == 3
    assert groups.nth(1).locator("summary").inner_text().startswith("3")
    marks = pg.locator("#failure-list .pill.mark").all_inner_texts()
    assert any(m.startswith("broken since commit ") for m in marks)
    assert any(m.startswith("known flaky (score ") for m in marks)
    pg.locator("#failure-groups").scroll_into_view_if_needed()
    pg.screenshot(path=str(DOCS_IMAGES / "report-failure-groups.png"), full_page=False)
    page.assert_nothing_executed()


def test_chart_tooltip_names_the_run_and_its_date(page: Watched) -> None:
    pg = page.page
    titles = pg.locator("#charts .u-title").all_inner_texts()
    assert titles[:3] == ["Coverage (%)", "Pass rate (%)", "Duration (seconds)"]
    pg.evaluate("document.getElementById('chart-coverage').scrollIntoView()")
    box = pg.locator("#chart-duration .u-over").bounding_box()
    assert box is not None
    pg.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    tip = pg.locator("#chart-duration .tip")
    expect(tip).to_be_visible()
    text = tip.inner_text()
    assert "run run-main-030" in text
    link = tip.locator("a.trun")
    assert link.get_attribute("href") == "http://127.0.0.1:8321/runs/run-main-030"
    assert "2026-03-01 10:00 UTC" in text  # the run's start, in UTC
    assert re.search(r"pipeline: \d+\.\d s", text)
    assert "pipeline p95 (last 10 runs)" in text
    pg.screenshot(path=str(DOCS_IMAGES / "report-charts.png"), full_page=False)
    page.assert_nothing_executed()


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_overflows_or_overlaps(page: Watched, width: int) -> None:
    pg = page.page
    pg.set_viewport_size({"width": width, "height": 900})
    pg.wait_for_timeout(200)  # the charts' resize is debounced
    sizes = pg.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], f"the page scrolls sideways at {width} px: {sizes}"
    # no section is wider than the viewport, and the summary cards do not overlap
    overlaps = pg.evaluate(
        """() => {
        const boxes = [...document.querySelectorAll('.cards .card, .toolbar > *, .chart')]
          .map(e => e.getBoundingClientRect());
        let n = 0;
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
              && b.top < a.bottom - 1) n++;
        }
        const wide = [...document.querySelectorAll('section, .chart')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).length;
        return [n, wide];
    }"""
    )
    assert overlaps == [0, 0]
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(DOCS_IMAGES / f"report-{width}.png"), full_page=False)
    pg.set_viewport_size({"width": 1280, "height": 900})
    page.assert_nothing_executed()
