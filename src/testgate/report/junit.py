"""The run's tests as one JUnit XML file (``testgate report --format junit``).

Streaming, and readable back by testgate's JUnit reader: a flaky test is written as Surefire
writes it (passed, with one ``<flakyFailure>`` per failed attempt); a failed test with several
attempts gets ``<rerunFailure>``/``<rerunError>`` elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from testgate.model import TestCase

__all__ = ["write_junit"]


# --------------------------------------------------------------------------------------------
# Writing: used by the round-trip property tests and by the JUnit renderer of a run.


def write_junit(
    tests: Iterable[TestCase],
    path: str | Path,
    *,
    name: str = "testgate",
    marks: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write *tests* as one JUnit XML file, streaming, readable back by :func:`read_junit`.

    Consecutive tests of the same suite share a ``<testsuite>``. A flaky test is written as
    Surefire writes it (passed, with one ``<flakyFailure>`` per failed attempt); a failed test
    with several attempts gets ``<rerunFailure>``/``<rerunError>`` elements.

    *marks* (test id -> its history mark, see ``report.data.history_marks``) put each failed
    test's history (new, broken since, known flaky, quarantined) where CI's test views show it:
    a ``testgate.history`` property and a line of ``<system-out>``, which GitLab's merge
    request test report and Jenkins show beside the failure.
    """
    from lxml import etree

    target = Path(path)
    items = list(tests)
    with etree.xmlfile(str(target), encoding="utf-8") as xf:
        xf.write_declaration()
        counts = _counts(items)
        with xf.element("testsuites", {"name": name, **counts}):
            start = 0
            while start < len(items):
                suite = items[start].suite
                end = start
                while end < len(items) and items[end].suite == suite:
                    end += 1
                group = items[start:end]
                with xf.element("testsuite", {"name": _xml_safe(suite), **_counts(group)}):
                    for tc in group:
                        mark = marks.get(tc.id) if marks else None
                        xf.write(_case_element(tc, etree, mark.get("text") if mark else None))
                start = end
    return target


def _counts(items: list[TestCase]) -> dict[str, str]:
    c = {"tests": len(items), "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for t in items:
        if t.status == "failed":
            c["failures"] += 1
        elif t.status == "error":
            c["errors"] += 1
        elif t.status == "skipped":
            c["skipped"] += 1
        total += t.duration_s
    out = {k: str(v) for k, v in c.items()}
    out["time"] = repr(round(total, 6))
    return out


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold control characters or lone surrogates: replace them with U+FFFD."""
    return _ILLEGAL_XML.sub("\ufffd", text)


def _case_element(tc: TestCase, etree: Any, history: str | None = None) -> Any:
    attrs = {"name": _xml_safe(tc.name), "classname": _xml_safe(tc.classname)}
    attrs["time"] = repr(tc.duration_s)
    if tc.file is not None:
        attrs["file"] = _xml_safe(tc.file)
    if tc.line is not None:
        attrs["line"] = str(tc.line)
    el = etree.Element("testcase", attrs)
    msg = _xml_safe(tc.message) if tc.message is not None else None
    trace = _xml_safe(tc.trace) if tc.trace is not None else None
    if tc.status in ("failed", "error"):
        tag = "failure" if tc.status == "failed" else "error"
        child = etree.SubElement(el, tag, {"message": msg} if msg is not None else {})
        if trace:
            child.text = trace
        for _ in range(max(0, tc.attempts - 1)):
            rerun = etree.SubElement(el, "rerunFailure" if tag == "failure" else "rerunError")
            etree.SubElement(rerun, "stackTrace")
    elif tc.status == "skipped":
        etree.SubElement(el, "skipped", {"message": msg} if msg is not None else {})
    elif tc.flaky:
        for i in range(max(1, tc.attempts - 1)):
            flaky = etree.SubElement(
                el, "flakyFailure", {"message": msg} if msg is not None and i == 0 else {}
            )
            if trace and i == 0:
                etree.SubElement(flaky, "stackTrace").text = trace
    shown = history if history and tc.status in ("failed", "error") else None
    if tc.properties or shown:
        props = etree.SubElement(el, "properties")
        for k, v in tc.properties.items():
            etree.SubElement(props, "property", {"name": _xml_safe(k), "value": _xml_safe(v)})
        if shown:
            attrs = {"name": "testgate.history", "value": _xml_safe(shown)}
            etree.SubElement(props, "property", attrs)
    if shown:
        etree.SubElement(el, "system-out").text = f"testgate history: {_xml_safe(shown)}"
    return el
