from __future__ import annotations

from pathlib import Path

from lxml import etree

from testgate.report.badge import badge_svg, run_badges, write_badges

from ._runs import hostile_run


def test_badges_are_valid_svg_with_the_numbers() -> None:
    badges = run_badges(hostile_run())
    assert set(badges) == {"tests", "coverage", "gate"}
    tests = etree.fromstring(badges["tests"].encode())
    assert tests.tag == "{http://www.w3.org/2000/svg}svg"
    assert "tests: 21 passed, 2 failed, 1 skipped" in badges["tests"]
    assert "#e05d44" in badges["tests"]  # red: something failed


def test_badge_text_is_escaped() -> None:
    svg = badge_svg("<b>", "a&b", "#4c1")
    etree.fromstring(svg.encode())  # parses: nothing unescaped
    assert "&lt;b&gt;" in svg
    assert "a&amp;b" in svg


def test_write_badges(tmp_path: Path) -> None:
    written = write_badges(hostile_run(), tmp_path / "b")
    assert sorted(p.name for p in written) == ["coverage.svg", "gate.svg", "tests.svg"]
