"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

GitHub limits a comment to 65,536 characters; the summary is cut to fit with a note, always
keeping the verdict, the totals and the gate table, and as many failing tests as fit.
"""

from __future__ import annotations

import html
import re
from typing import Any

from testgate.model import Run, iter_failures

__all__ = ["GITHUB_COMMENT_LIMIT", "md_cell", "md_code", "render_markdown"]

GITHUB_COMMENT_LIMIT = 65_536
_SAFETY = 1_000  # room for the truncation note

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no HTML, no table breaks, no formatting."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())  # newlines would end the row


def md_code(text: str, limit: int = 1_500) -> str:
    """A fenced code block that the text cannot close early."""
    body = text if len(text) <= limit else text[:limit] + "\n… (cut)"
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}text\n{body}\n{fence}"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "not measured" if value is None else str(value)


def render_markdown(run: Run, *, limit: int = GITHUB_COMMENT_LIMIT, max_failures: int = 50) -> str:
    m = run.metrics
    failed = int(m.get("tests.failed", 0))
    verdict = run.verdict
    if verdict is not None:
        ok = verdict.passed
        head = "✅ **Quality gate passed**" if ok else "❌ **Quality gate failed**"
    else:
        ok = failed == 0 and not m.get("steps.failed") and not run.interrupted
        head = "✅ **All tests passed**" if ok else "❌ **Tests or steps failed**"
    where = " · ".join(
        x
        for x in (
            md_cell(run.project) if run.project else "",
            f"branch `{md_cell(run.vcs.branch)}`" if run.vcs.branch else "",
            f"commit `{(run.vcs.commit or '')[:10]}`" if run.vcs.commit else "",
            f"run `{md_cell(run.id)}`",
        )
        if x
    )
    parts: list[str] = [f"## testgate: {head}", "", where, ""]

    totals: list[str] = []
    if "tests.total" in m:
        totals.append(
            f"**{int(m['tests.total'])}** tests: {int(m['tests.passed'])} passed, "
            f"{failed} failed, {int(m['tests.skipped'])} skipped"
            + (f", {int(m['tests.flaky'])} flaky" if m.get("tests.flaky") else "")
            + f" ({m['tests.pass_rate']:.1f}% pass rate)"
        )
    if "coverage.line" in m:
        cov = f"coverage **{m['coverage.line']:.1f}%** of lines"
        if "coverage.branch" in m:
            cov += f", {m['coverage.branch']:.1f}% of branches"
        if "coverage.new_code" in m:
            cov += f", {m['coverage.new_code']:.1f}% of new code"
        totals.append(cov)
    if "pipeline.duration_s" in m:
        totals.append(f"pipeline {m['pipeline.duration_s']:.1f}s")
    if m.get("steps.failed"):
        totals.append(f"**{int(m['steps.failed'])}** step(s) failed")
    if totals:
        parts += ["- " + t for t in totals] + [""]

    criteria = verdict.results if verdict is not None else []
    if verdict is not None and criteria:
        parts += [
            "### Quality gates",
            "",
            "| | gate | criterion | actual | expected | status |",
            "| --- | --- | --- | ---: | --- | --- |",
        ]
        icon = {"pass": "✅", "fail": "❌", "warn": "⚠️", "not_measured": "⬜", "skipped": "⏭️"}
        for c in criteria:
            st = c.status
            parts.append(
                f"| {icon.get(st, '')} | {md_cell(c.gate)} | {md_cell(c.criterion)} "
                f"| {md_cell(c.actual_text)} | {md_cell(c.expected)} "
                f"| {md_cell(st.replace('_', ' '))} |"
            )
        details = [c for c in criteria if c.status == "fail" and c.hint]
        if details:
            parts += ["", "**What to look at**", ""]
            parts += [
                f"- {md_cell(c.gate)} / {md_cell(c.criterion)}: {md_cell(c.hint)}" for c in details
            ]
        if verdict.bypass:
            parts += ["", f"> Bypassed: {md_cell(verdict.bypass)}"]
        parts.append("")

    bad_steps = [s for s in run.steps if s.status in ("failed", "timed_out")]
    if bad_steps:
        parts += ["### Failed steps", ""]
        parts += [
            f"- `{md_cell(s.stage)}/{md_cell(s.name)}`: {s.status.replace('_', ' ')}"
            + (f" (exit {s.exit_code})" if s.exit_code is not None else "")
            + (f": {md_cell(s.reason)}" if s.reason else "")
            for s in bad_steps
        ]
        parts.append("")

    head_text = "\n".join(parts)
    failures = list(iter_failures(run.tests))
    blocks: list[str] = []
    if failures:
        blocks.append(f"### Failing tests ({len(failures)})\n")
    for t in failures[:max_failures]:
        msg = (t.message or "").strip() or (t.trace or "").strip()
        why = f" · {html.escape(t.category)}" if t.category else ""
        block = f"<details><summary>❌ {html.escape(t.id)}{why}</summary>\n\n"
        if msg:
            block += md_code(msg) + "\n"
        block += "\n</details>\n"
        blocks.append(block)
    budget = limit - _SAFETY - len(head_text)
    out = [head_text]
    used = 0
    shown = 0
    for b in blocks:
        if used + len(b) > budget:
            break
        out.append(b)
        used += len(b)
        shown += 1
    omitted = len(failures) - max(0, shown - 1)
    if failures and omitted > 0:
        out.append(
            f"\n… {omitted} more failing test(s) not shown (comment size limit); "
            "see the HTML report or `testgate report --format html`.\n"
        )
    return "\n".join(out).rstrip() + "\n"
