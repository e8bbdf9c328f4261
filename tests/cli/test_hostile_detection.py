"""Hostile XML is refused as hostile, whatever its root element, before any format is chosen."""

from __future__ import annotations

from testgate.testing import Project

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<whatever>&lol2;</whatever>
"""


def test_unknown_root_with_entities_is_refused_not_unknown(project: Project) -> None:
    project.write("bomb.xml", BOMB)
    out = project.run("ingest", "bomb.xml", "-o", "s.json").assert_code(2)
    assert "bomb.xml:2: refused: the document declares XML entities" in out.err
    assert "cannot tell which report format" not in out.err
    assert not (project.root / "s.json").exists()
