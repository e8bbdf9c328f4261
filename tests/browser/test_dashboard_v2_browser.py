"""Dashboard v2 in Debian's Chromium: branch switch, a chart's tooltip, a test's strip, and
every page without a script error. Screenshots go to tests/artifacts/ (docs/images/ has copies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.server.app import create_app

from ..server._history import branched_history
from ..server._live import live_server
from .conftest import ARTIFACTS, Watched


def test_branch_switch_tooltip_and_test_strip(page: Watched, tmp_path: Path) -> None:
    store = branched_history(tmp_path)
    with live_server(create_app(store)) as url:
        pg = page.page
        pg.goto(url + "/")
        # the default branch first, then the others; its runs only
        options = pg.locator("#branch-select option").all_inner_texts()
        assert options[0].startswith("main (8 runs) · default"), options
        assert options[1].startswith("feature/x (3 runs)"), options
        assert options[-1] == "every branch"
        assert pg.locator("#runs tbody tr").count() == 8
        # the outage and the escaped incident are marked in the run list
        marks = pg.locator("#runs .marks").all_inner_texts()
        assert any("outage" in m for m in marks)
        assert any("incident" in m for m in marks)
        # a chart point: the tooltip names the run, its date and the value
        plot = pg.locator('figure.chart[data-chart="tests.pass_rate"] .u-over')
        box = plot.bounding_box()
        assert box is not None
        pg.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
        tip = pg.locator('figure.chart[data-chart="tests.pass_rate"] .tg-tip')
        tip.wait_for(state="visible")
        assert tip.inner_text().startswith("run-07 2026-01-08 10:00 · ")
        page.screenshot("dashboard-v2-index.png")
        # switch the branch: the page reloads with the feature branch's runs only
        with pg.expect_navigation():
            pg.select_option("#branch-select", "feature/x")
        assert "branch=feature%2Fx" in pg.url
        ids = pg.locator("#runs tbody tr td:first-child").all_inner_texts()
        assert ids == ["feat-2", "feat-1", "feat-0"]
        # a test's page: one strip cell per run, each a link to that run's report
        pg.goto(url + "/tests?id=tests.test_cart::test_wobbly")
        strip = pg.locator("#timeline a")
        assert strip.count() == 11  # 8 runs on main, 3 on the feature branch
        assert "failed" in (strip.first.get_attribute("class") or "")  # run-00 failed
        assert pg.locator("#flips tbody tr").count() >= 4
        page.screenshot("dashboard-v2-test.png")
        strip.nth(0).click()
        pg.wait_for_selector("#dashbar")
        assert "run run-00" in pg.locator("#dashbar").inner_text()
        page.assert_nothing_executed()


def test_every_page_renders_without_script_errors(page: Watched, tmp_path: Path) -> None:
    store = branched_history(tmp_path)
    with live_server(create_app(store)) as url:
        pg = page.page
        pg.goto(url + "/components")
        rows = pg.locator("#components tbody tr").all_inner_texts()
        assert rows[0].startswith("api"), rows
        assert pg.locator("#components figure.chart canvas").count() >= 1
        page.screenshot("dashboard-v2-components.png")
        pg.goto(url + "/flaky")
        assert "test_wobbly" in pg.locator("#flaky").inner_text()
        page.screenshot("dashboard-v2-flaky.png")
        pg.goto(url + "/effectiveness")
        assert "BUG-1" in pg.locator("#incidents").inner_text()
        page.screenshot("dashboard-v2-effectiveness.png")
        pg.goto(url + "/alerts")
        assert pg.locator("#alerts").count() == 1
        # a test's page spans every branch: its selector leads to a branch's runs
        pg.goto(url + "/tests?id=tests.test_cart::test_wobbly")
        with pg.expect_navigation():
            pg.select_option("#branch-select", "main")
        assert pg.url == url + "/?branch=main"
        pg.goto(url + "/runs/run-07")
        # the run page is the run's HTML report, with the dashboard's bar on top
        assert pg.locator("#dashbar").count() == 1
        page.screenshot("dashboard-v2-run.png")
        page.assert_nothing_executed()


def test_no_page_overflows_at_390_and_1280_px(browser: Any, tmp_path: Path) -> None:
    """Nothing is wider than the screen: wide tables scroll inside themselves."""
    store = branched_history(tmp_path)
    pages = ["/", "/tests?id=tests.test_cart::test_wobbly", "/components", "/flaky", "/alerts"]
    pages.append("/effectiveness")
    with live_server(create_app(store)) as url:
        for width in (390, 1280):
            ctx = browser.new_context(viewport={"width": width, "height": 900})
            pg = ctx.new_page()
            for path in pages:
                pg.goto(url + path)
                scroll = pg.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (width, path, scroll)
            if width == 390:
                pg.goto(url + "/")
                pg.screenshot(path=str(ARTIFACTS / "dashboard-v2-index-390.png"))
            ctx.close()
