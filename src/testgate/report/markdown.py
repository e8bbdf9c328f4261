"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

GitHub limits a comment to 65,536 characters; the summary is cut to fit with a note, always
keeping the verdict, the totals and the gate table, and as many failing tests as fit.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from testgate.model import Run, iter_failures

if TYPE_CHECKING:
    from testgate.history.view import HistoryView

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


#: the icon of each history mark in the summary
MARK_ICONS = {
    "new": "🆕",
    "broken": "🔴",
    "flaky": "🎲",
    "quarantined": "⏸️",
    "fixed": "✅",
    "recurring": "🔁",
}


def _changes(run: Run, history: HistoryView, marks: dict[str, dict[str, Any]]) -> list[str]:
    """What changed against the base run: new failures, fixed tests, coverage, new tests."""
    base = history.base
    if base is None:
        return []
    out = [
        f"### Changes against {md_cell(base.get('branch') or 'the base')} run "
        f"`{md_cell(base['run'])}`"
        + (f" (commit `{str(base.get('commit') or '')[:10]}`)" if base.get("commit") else ""),
        "",
    ]
    new = [t for t, mk in marks.items() if mk["kind"] == "new"]
    out.append(
        f"- **{len(new)}** new failure(s)"
        + (": " + ", ".join(f"`{md_cell(t)}`" for t in new[:10]) if new else "")
        + (f" and {len(new) - 10} more" if len(new) > 10 else "")
    )
    fixed = [f["test"] for f in history.fixed]
    out.append(
        f"- **{len(fixed)}** fixed test(s)"
        + (": " + ", ".join(f"`{md_cell(t)}`" for t in fixed[:10]) if fixed else "")
        + (f" and {len(fixed) - 10} more" if len(fixed) > 10 else "")
    )
    bm = base.get("metrics") or {}
    for key, label in (
        ("coverage.line", "line coverage"),
        ("coverage.branch", "branch coverage"),
        ("coverage.new_code", "new-code coverage"),
    ):
        if key in run.metrics and key in bm:
            d = run.metrics[key] - bm[key]
            out.append(
                f"- {label} {run.metrics[key]:.1f}% ({d:+.1f} points against {bm[key]:.1f}%)"
            )
        elif key in run.metrics and key != "coverage.new_code":
            out.append(f"- {label} {run.metrics[key]:.1f}% (the base run has none to compare)")
    if history.new_tests:
        out.append(
            "- slowest new tests: "
            + ", ".join(
                f"`{md_cell(t['test'])}` {t['duration']:.2f}s" for t in history.new_tests[:5]
            )
        )
    return [*out, ""]


def render_markdown(
    run: Run,
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    max_failures: int = 50,
    history: HistoryView | None = None,
) -> str:
    """The run as Markdown; with *history*, each failed test carries its history mark and the
    summary leads with what changed against the base run."""
    from testgate.report.data import history_marks

    marks = history_marks(run, history)
    m = run.metrics
    failed = int(m.get("tests.failed", 0))
    verdict = run.verdict
    quarantined = run.quarantined()
    q_tests, q_steps = run.quarantine_failures()
    if verdict is not None:
        ok = verdict.passed
        head = "✅ **Quality gate passed**" if ok else "❌ **Quality gate failed**"
    else:
        # quarantined failures (and steps that failed only because of them) do not count
        ok = (
            failed - len(q_tests) == 0
            and not int(m.get("steps.failed", 0)) - len(q_steps)
            and not run.interrupted
        )
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
    if history is not None:
        parts += _changes(run, history, marks)

    totals: list[str] = []
    if "tests.total" in m:
        totals.append(
            f"**{int(m['tests.total'])}** tests: {int(m['tests.passed'])} passed, "
            f"{failed} failed, {int(m['tests.skipped'])} skipped"
            + (f", {int(m['tests.flaky'])} flaky" if m.get("tests.flaky") else "")
            + f" ({m['tests.pass_rate']:.1f}% pass rate)"
            + (f"; {len(q_tests)} quarantined failure(s) do not count" if q_tests else "")
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
            parts += ["", f"> ⚠️ **Gate {md_cell(verdict.bypass_text)}**"]
        parts.append("")

    bad_steps = [
        s
        for s in run.steps
        if s.status in ("failed", "timed_out") and f"{s.stage}/{s.name}" not in q_steps
    ]
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
        q = quarantined.get(t.id)
        why = f" · {html.escape(t.category)}" if t.category else ""
        mk = marks.get(t.id)
        if mk is not None and mk["kind"] != "quarantined":
            why += f" · {MARK_ICONS.get(mk['kind'], '')} {html.escape(mk['text'])}"
        elif mk is not None and mk.get("history"):
            why += f" · {html.escape(mk['history']['text'])}"
        if q is not None:
            block = (
                f"<details><summary>⏸️ quarantined: {html.escape(t.id)}{why}</summary>\n\n"
                f"Quarantined (owner {md_cell(q.get('owner') or '?')}, until "
                f"{md_cell(q.get('expires') or '?')}): {md_cell(q.get('reason') or '')}; it "
                "fails neither the run nor the gates.\n\n"
            )
        else:
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
