"""Verdict renderers: text (a Rich table), JSON, Markdown, GitHub annotations and JUnit XML.

Every renderer is a function ``Verdict -> str`` and escapes what it prints for its medium, since
test names and messages come from the code under test and may be hostile
(``<img src=x onerror=alert(1)>`` in a test name must stay text everywhere).
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable

from testgate.verdict import CriterionResult as Result
from testgate.verdict import Verdict

__all__ = [
    "FORMATS",
    "MIN_TABLE_WIDTH",
    "escape_markdown",
    "github_escape_data",
    "github_escape_property",
    "render",
    "render_github",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_text",
]

_STATUS_TEXT = {
    "pass": "pass",
    "fail": "FAIL",
    "warn": "warn",
    "not_measured": "not measured",
    "skipped": "skipped",
}
_STATUS_ICON = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "warn": "⚠️ warn",
    "not_measured": "⬜ not measured",
    "skipped": "⏭️ skipped",
}


def _headline(v: Verdict) -> str:
    counts: dict[str, int] = {}
    for r in v.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = ("fail", "warn", "pass", "not_measured", "skipped")
    parts = [f"{counts[s]} {_STATUS_TEXT[s].lower()}" for s in order if counts.get(s)]
    scope = f" (deployment to {v.env})" if v.env else ""
    word = "PASS" if v.passed else "FAIL"
    if v.bypass and v.bypass.get("applied"):
        word = "PASS (bypassed)"
    return f"testgate verdict{scope}: {word} — {', '.join(parts) or 'no criteria'}"


def _footer(v: Verdict) -> list[str]:
    lines: list[str] = []
    if v.new_code_base:
        lines.append(
            f"new code compared against {v.new_code_base['ref']} "
            f"(merge-base {v.new_code_base['commit'][:12]})"
        )
    if v.baseline_run:
        lines.append(f"baseline: run {v.baseline_run}")
    if v.bypass_text:
        lines.append(v.bypass_text)
    lines.extend(f"warning: {w}" for w in v.warnings)
    lines.extend(f"note: {n}" for n in v.notes)
    return lines


#: below this many columns the table would squeeze its hints: one block per criterion instead
MIN_TABLE_WIDTH = 100


def render_text(v: Verdict, *, width: int | None = None, color: bool = False) -> str:
    """The verdict for a terminal or a log: a Rich table, plain and 160 columns wide unless
    *color* (a TTY) is asked for. No cell is ever cut: long cells wrap inside their column, and
    where the table would not fit (a terminal narrower than :data:`MIN_TABLE_WIDTH`) every
    criterion is one block of plain lines instead. Test names and messages are printed
    literally (``test_x[a-b]`` is text, not markup)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width or (None if color else 160),
        color_system="auto" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    if console.width < MIN_TABLE_WIDTH:
        return _render_blocks(v)
    table = Table(show_lines=False, expand=False, pad_edge=False)
    for col, most in (("gate", 24), ("criterion", 36), ("actual", 24), ("expected", 24)):
        table.add_column(col, overflow="fold", max_width=most)
    table.add_column("status", no_wrap=True)
    table.add_column("hint", overflow="fold", min_width=40, ratio=1)
    style = {"fail": "bold red", "warn": "yellow", "pass": "green"}
    for r in v.results:
        status = _STATUS_TEXT[r.status]
        if r.status in ("fail", "warn") and not r.blocking:
            status += " (non-blocking)"
        table.add_row(
            Text(r.gate),
            Text(r.criterion),
            Text(r.actual_text),
            Text(r.expected),
            Text(status, style=style.get(r.status, "")),
            Text(r.hint or ""),
        )
    console.print(table)
    console.print(Text(_headline(v)))
    for line in _footer(v):
        console.print(Text(line), soft_wrap=True)
    return buf.getvalue()


def _render_blocks(v: Verdict) -> str:
    """The verdict as plain lines, one block per criterion: readable at any width."""
    lines: list[str] = []
    for r in v.results:
        status = _STATUS_TEXT[r.status]
        if r.status in ("fail", "warn") and not r.blocking:
            status += " (non-blocking)"
        lines.append(f"{status}: {r.gate} / {r.criterion}")
        lines.append(f"  actual {r.actual_text}, expected {r.expected}")
        if r.hint:
            lines.append(f"  {r.hint}")
    lines.append(_headline(v))
    lines.extend(_footer(v))
    return "\n".join(lines) + "\n"


def render_json(v: Verdict) -> str:
    return json.dumps(v.to_dict(), indent=2, ensure_ascii=False) + "\n"


def escape_markdown(text: str) -> str:
    """Text that stays text in a GitHub Markdown table cell (no HTML, no code spans, no pipes)."""
    out = text
    for ch in "\\*_[]~":
        out = out.replace(ch, "\\" + ch)
    out = (
        out.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "&#124;")
        .replace("`", "&#96;")
        .replace("\r", "")
        .replace("\n", " ")
    )
    return out


def _html(text: str) -> str:
    return html.escape(text.replace("\r", "").replace("\n", " "), quote=True).replace("`", "&#96;")


def render_markdown(v: Verdict) -> str:
    """For a PR comment or ``$GITHUB_STEP_SUMMARY``: verdict line, table, failure details."""
    icon = "✅" if v.passed else "❌"
    lines = [f"## {icon} {escape_markdown(_headline(v))}", ""]
    lines.append("| gate | criterion | actual | expected | status |")
    lines.append("| --- | --- | --- | --- | --- |")
    for r in v.results:
        status = _STATUS_ICON[r.status] + ("" if r.blocking else " (non-blocking)")
        lines.append(
            f"| {escape_markdown(r.gate)} | {escape_markdown(r.criterion)} | "
            f"{escape_markdown(r.actual_text)} | {escape_markdown(r.expected)} | {status} |"
        )
    bad = [r for r in v.results if r.status in ("fail", "warn")]
    if bad:
        lines += ["", "### What to look at", ""]
        for r in bad:
            # inside an HTML block Markdown is not interpreted: escape for HTML only
            lines.append(
                f"<details><summary><b>{_html(r.gate)} / {_html(r.criterion)}</b>: "
                f"{_html(r.actual_text)} (expected {_html(r.expected)})</summary>"
            )
            lines.append("")
            items = r.details or ((r.hint,) if r.hint else ())
            lines.extend(f"- {escape_markdown(d)}" for d in items if d)
            if not items:
                lines.append("- (no further detail)")
            lines += ["", "</details>", ""]
    unmeasured = [r for r in v.results if r.status == "not_measured"]
    if unmeasured:
        lines += ["", "<details><summary>Not measured</summary>", ""]
        lines.extend(
            f"- {escape_markdown(r.gate)} / {escape_markdown(r.criterion)}: "
            f"{escape_markdown(r.hint or '')}"
            for r in unmeasured
        )
        lines += ["", "</details>"]
    footer = _footer(v)
    if footer:
        lines += [""] + [f"- {escape_markdown(x)}" for x in footer]
    return "\n".join(lines).rstrip("\n") + "\n"


def github_escape_data(text: str) -> str:
    """GitHub workflow-command message escaping (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    """GitHub workflow-command property escaping (also ``:`` and ``,``)."""
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _gh_message(r: Result) -> str:
    msg = f"{r.criterion}: {r.actual_text}, expected {r.expected}"
    if r.details:
        msg += "\n" + "\n".join(r.details[:10])
    elif r.hint:
        msg += "\n" + r.hint
    return msg


def render_github(v: Verdict) -> str:
    """``::error``/``::warning`` workflow commands, one per failing or warning criterion."""
    lines = []
    for r in v.results:
        if r.status not in ("fail", "warn"):
            continue
        kind = "error" if r.status == "fail" and r.blocking else "warning"
        title = github_escape_property(f"testgate gate {r.gate}")
        lines.append(f"::{kind} title={title}::{github_escape_data(_gh_message(r))}")
    summary = _headline(v)
    if v.bypass_text:
        summary += f"\n{v.bypass_text}"
    lines.append(f"::notice title=testgate::{github_escape_data(summary)}")
    return "\n".join(lines) + "\n"


def render_junit(v: Verdict) -> str:
    """JUnit XML with one test case per criterion (classname = gate)."""
    from lxml import etree

    root = etree.Element("testsuites", name="testgate gates")
    suite = etree.SubElement(root, "testsuite", name="testgate gates")
    props = etree.SubElement(suite, "properties")
    facts = {"verdict": v.verdict, "env": v.env or "", "strict": str(v.strict).lower()}
    if v.bypass:
        facts["bypass"] = v.bypass["reason"]
        facts["bypassed_gates"] = ",".join(v.bypass["gates"])
        if v.bypass.get("user"):
            facts["bypassed_by"] = str(v.bypass["user"])
        if v.bypass.get("at"):
            facts["bypassed_at"] = str(v.bypass["at"])
    for key, value in facts.items():
        etree.SubElement(props, "property", name=key, value=_xml_safe(value))
    failures = skipped = 0
    for r in v.results:
        tc = etree.SubElement(
            suite, "testcase", classname=_xml_safe(r.gate), name=_xml_safe(r.criterion)
        )
        tc.set("time", "0")
        text = _xml_safe("\n".join(r.details or ((r.hint,) if r.hint else ())))
        msg = _xml_safe(f"{r.actual_text}, expected {r.expected}")
        if r.status == "fail":
            failures += 1
            el = etree.SubElement(tc, "failure", message=msg, type="gate")
            el.text = text
        elif r.status in ("skipped", "not_measured"):
            skipped += 1
            etree.SubElement(tc, "skipped", message=_xml_safe(r.hint or r.status))
        elif r.status == "warn":
            out = etree.SubElement(tc, "system-out")
            out.text = _xml_safe(f"warning: {r.actual_text}, expected {r.expected}\n{text}")
    for el in (root, suite):
        el.set("tests", str(len(v.results)))
        el.set("failures", str(failures))
        el.set("errors", "0")
    suite.set("skipped", str(skipped))
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml.decode("utf-8")


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from test output)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (" " <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ord(ch) >= 0x10000
    )


FORMATS: dict[str, Callable[[Verdict], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "github": render_github,
    "junit": render_junit,
}


def render(v: Verdict, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        return render_text(v, color=color)
    return FORMATS[fmt](v)
