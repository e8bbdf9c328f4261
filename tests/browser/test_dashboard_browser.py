from __future__ import annotations

from pathlib import Path
from typing import Any

from testgate.server.app import create_app

from ..report._runs import XSS_NAME
from ..server._history import recorded_history
from ..server._live import live_server
from .conftest import Watched


def test_dashboard_run_failure_and_test_history(page: Watched, tmp_path: Path) -> None:
    store = recorded_history(tmp_path)
    with live_server(create_app(store)) as url:
        pg = page.page
        pg.goto(url + "/")
        assert "LAST RUN FAILED" in pg.locator("#last-verdict").inner_text()
        assert pg.locator("figure.chart canvas").count() >= 2
        page.screenshot("dashboard-index.png")
        # click 1: the newest run: its HTML report
        pg.click("#runs tbody tr:first-child a")
        failure = pg.locator("details.failure").first
        assert XSS_NAME in failure.locator("summary").inner_text()
        page.screenshot("dashboard-run.png")
        # click 2: that test's history, from the dashboard's bar above the report
        pg.click("#dashbar summary")
        pg.locator("#dashbar details a", has_text=XSS_NAME).click()
        assert pg.locator("#timeline a").count() == 8
        page.screenshot("dashboard-test.png")
        page.assert_nothing_executed()


def test_dashboard_with_a_token(browser: Any, tmp_path: Path) -> None:
    store = recorded_history(tmp_path, n=3)
    with live_server(create_app(store, token="s3cret")) as url:
        ctx = browser.new_context()
        pg = ctx.new_page()
        assert pg.goto(url + "/").status == 401
        # the token in the address is exchanged for a cookie, and the page loads
        pg.goto(url + "/?token=s3cret")
        assert pg.url == url + "/"
        assert "LAST RUN FAILED" in pg.locator("#last-verdict").inner_text()
        ctx.close()
