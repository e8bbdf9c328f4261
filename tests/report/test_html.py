from __future__ import annotations

import json
import re

from lxml import html as lxml_html

from testgate.history.view import HistoryView
from testgate.report.data import line_ranges
from testgate.report.html import embed_json, render_html
from testgate.verdict import CriterionResult, Verdict

from ._runs import XSS_MESSAGE, XSS_NAME, hostile_run


def test_line_ranges_compress_runs() -> None:
    assert line_ranges([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    assert line_ranges([]) == ""


def test_embedded_json_cannot_close_the_script_block() -> None:
    text = embed_json({"m": "</script><script>alert(1)</script>", "n": "\u2028"})
    assert "</script" not in text.lower()
    assert "<" not in text
    assert ">" not in text
    assert json.loads(text) == {"m": "</script><script>alert(1)</script>", "n": "\u2028"}


def test_hostile_test_data_never_appears_as_markup() -> None:
    page = render_html(hostile_run(), logs={"unit/pytest": "FAILED <b>bold</b>"})
    # the only <script> elements are the data block and the page's own script
    doc = lxml_html.fromstring(page)
    scripts = doc.xpath("//script")
    assert len(scripts) == 2
    assert scripts[0].get("type") == "application/json"
    assert not doc.xpath("//img"), "test data produced an <img> element"
    assert XSS_NAME not in page  # raw, unescaped form is nowhere in the file
    assert XSS_MESSAGE not in page
    # the data survives intact inside the JSON block
    data = json.loads(scripts[0].text)
    assert data["failures"][0]["name"] == XSS_NAME
    assert data["failures"][0]["message"] == XSS_MESSAGE


def test_content_security_policy_allows_only_the_page_script() -> None:
    page = render_html(hostile_run())
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    assert "script-src 'sha256-" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src")[1]


def test_report_is_self_contained() -> None:
    page = render_html(hostile_run())
    assert not re.search(r'(src|href)="(https?:)?//', page), "no external resource"
    assert "<style>" in page


def test_verdict_and_trends_render() -> None:
    run = hostile_run()
    run.verdict = Verdict(
        passed=False,
        results=[
            CriterionResult(
                gate="coverage_gate",
                criterion="overall",
                metric="coverage.line",
                actual=71.0,
                expected=">= 80%",
                status="fail",
                hint="least covered: src/cart.py",
            )
        ],
        gates={"coverage_gate": "fail"},
        blocking={"coverage_gate": True},
    )
    hist = HistoryView(
        trends={"tests.pass_rate": [("r1", 90.0), ("r2", 95.0)]},
        series={"tests.pass_rate": [[1767225600, 90.0, "r1"], [1767312000, 95.0, "r2"]]},
    )
    page = render_html(run, history=hist)
    doc = lxml_html.fromstring(page)
    assert doc.get_element_by_id("verdict").text_content().strip().startswith("GATE FAILED")
    assert "least covered: src/cart.py" in doc.get_element_by_id("gates").text_content()
    assert doc.get_element_by_id("gates-card").text_content() == "0/1gate criteria pass"
    assert (
        doc.get_element_by_id("exec-summary")
        .text_content()
        .endswith("0 of 1 gate criteria pass; failing: coverage_gate/overall.")
    )
    # the charts are uPlot's, inlined, and the CSP allows exactly uPlot and the page's script
    scripts = doc.xpath("//script[not(@type)]")
    assert len(scripts) == 2
    assert "uPlot" in scripts[0].text
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert csp.split("script-src ")[1].count("'sha256-") == 2
    assert doc.get_element_by_id("charts") is not None


def test_large_run_embeds_rows_compactly() -> None:
    page = render_html(hostile_run(n_passing=20_000))
    # 20k tests: a few hundred bytes of markup per row would be megabytes; rows are data
    assert len(page) < 2_000_000
    assert page.count("<tr") < 50
