"""Checkstyle XML of a run's review issues, the format that Jenkins' warnings plugin, reviewdog,
Bitbucket and many editors read: one ``<file>`` per path, one ``<error>`` per issue.
"""

from __future__ import annotations

from testgate.model import Run
from testgate.report.review import ReviewSource, issues

__all__ = ["render_checkstyle"]

_SEVERITY = {"error": "error", "warning": "warning", "note": "info"}


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters from tool output)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or " " <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or ch >= "\U00010000"
    )


def render_checkstyle(run: Run, *, source: ReviewSource | None = None) -> str:
    """The run's failing criteria and located findings as Checkstyle XML (version 8.0)."""
    from lxml import etree

    root = etree.Element("checkstyle", version="8.0")
    files: dict[str, etree._Element] = {}
    for issue in issues(run, source):
        if not issue.path:
            continue
        el = files.get(issue.path)
        if el is None:
            el = files[issue.path] = etree.SubElement(root, "file", name=_xml_safe(issue.path))
        err = etree.SubElement(el, "error")
        err.set("line", str(issue.line or 1))
        err.set("severity", _SEVERITY[issue.level])
        err.set("message", _xml_safe(issue.message))
        err.set("source", _xml_safe(issue.rule))
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml.decode("utf-8")
