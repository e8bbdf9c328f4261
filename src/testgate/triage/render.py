"""A triage as text (the terminal), JSON and Markdown (the failure digest, ``failures.md``).

The Markdown is written to be read by a person or pasted whole to an AI agent: the clusters
biggest first, the shortest useful trace of each, the command that reproduces each failing test,
and the files changed since the last green run. Everything a test or a trace says is untrusted:
code spans and fences are sized to their content and HTML is escaped, so a test name cannot
break out of its block or inject markup.
"""

from __future__ import annotations

import json
import re

from testgate.triage.clusters import Cluster, Triage

__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_text", "safe_text"]

FORMATS: tuple[str, ...] = ("text", "json", "markdown")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]|\x1b\[[0-9;?]*[A-Za-z]")
_MAX_TESTS_TEXT = 8
_MAX_TESTS_MD = 50


def safe_text(text: str) -> str:
    """*text* without terminal control sequences (a test name can hold ANSI escapes)."""
    return _CONTROL.sub("", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _headline(c: Cluster) -> str:
    what = _plural(len(c.tests), "test") if c.tests else _plural(c.size, "failure")
    parts = [what, c.category, f"severity {c.severity}"]
    if c.sla:
        parts.append(f"SLA {c.sla}")
    if c.first_seen is not None:
        parts.append(c.first_seen.describe())
    return " · ".join(parts)


def render_text(t: Triage) -> str:
    """The clusters for a terminal, biggest first."""
    if not t.clusters:
        return f"no failures in run {t.run}: nothing to triage"
    lines = [
        f"{_plural(t.failures, 'failure')} in {_plural(len(t.clusters), 'cluster')} "
        f"(run {t.run}{f', commit {t.commit[:10]}' if t.commit else ''}), biggest first",
        "",
    ]
    for n, c in enumerate(t.clusters, 1):
        lines.append(f"#{n}  {_headline(c)}")
        lines.append(f"    {safe_text(c.signature)}")
        lines.append(f"    fingerprint {c.fingerprint} · type {c.failure_type}")
        if c.owners:
            lines.append(f"    owners: {safe_text(' '.join(c.owners))}")
        ids = [i.id for i in c.items]
        shown = ", ".join(safe_text(x) for x in ids[:_MAX_TESTS_TEXT])
        more = f" (+{len(ids) - _MAX_TESTS_TEXT} more)" if len(ids) > _MAX_TESTS_TEXT else ""
        lines.append(f"    {'tests' if c.tests else 'failures'}: {shown}{more}")
        for first in c.first_lines():
            lines.append(f"    > {safe_text(first)}")
        lines.append("")
    for note in t.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines).rstrip() + "\n"


def render_json(t: Triage) -> str:
    return json.dumps(t.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    """Plain Markdown text: HTML escaped, Markdown's own specials neutralised."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", safe_text(text))


def _code(text: str) -> str:
    """An inline code span that *text* (backticks included) cannot close early."""
    text = safe_text(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str, lang: str = "text") -> str:
    text = safe_text(text)
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def render_markdown(t: Triage) -> str:
    """The failure digest: ``.testgate/latest/failures.md``."""
    head = f"# Failures of run {_code(t.run)}"
    facts = []
    if t.commit:
        facts.append(f"commit {_code(t.commit[:12])}")
    if t.branch:
        facts.append(f"branch {_code(t.branch)}")
    out = [head, ""]
    if facts:
        out += [" · ".join(facts), ""]
    if not t.clusters:
        out += ["No failures: nothing to triage.", ""]
        return "\n".join(out)
    out += [
        f"{_plural(t.failures, 'failure')} in {_plural(len(t.clusters), 'cluster')}, biggest "
        "first. Failures in one cluster share one cause (the same fingerprint: exception type "
        "and place in the code, or the same broken dependency), so fixing it fixes them all.",
        "",
    ]
    for n, c in enumerate(t.clusters, 1):
        out.append(f"## {n}. {_md(c.category)}: {_code(c.signature)}")
        out.append("")
        out.append(f"- **{_md(_headline(c))}**")
        out.append(f"- fingerprint {_code(c.fingerprint)} · failure type {_code(c.failure_type)}")
        if c.owners:
            out.append(f"- owners: {', '.join(_code(o) for o in c.owners)}")
        out.append("")
        items = c.items[:_MAX_TESTS_MD]
        out.append("| failing | reproduce locally |")
        out.append("| --- | --- |")
        for i in items:
            repro = _code(i.reproduce) if i.reproduce else "(no command known)"
            # GFM splits table cells on "|" even inside code spans unless it is escaped
            cell = _code(i.id).replace("|", "\\|")
            out.append(f"| {cell} | {repro.replace('|', chr(92) + '|')} |")
        if c.size > len(items):
            out.append(f"| … and {c.size - len(items)} more | |")
        out.append("")
        trace = c.trace()
        if trace:
            out.append("Shortest trace of the cluster:")
            out.append("")
            out.append(_fence(trace))
            out.append("")
    out.append("## Files changed since the last green run")
    out.append("")
    if t.changed_files is None:
        out.append("Unknown: no green run is recorded in the history, or git could not tell.")
    elif not t.changed_files:
        same = (t.last_green or {}).get("commit") or ""
        out.append(f"None: the code is the same as at the last green run {_code(same[:12])}.")
    else:
        green = t.last_green or {}
        commit = _code((green.get("commit") or "")[:12])
        where = f" (run {_code(str(green.get('run')))}, commit {commit})"
        out.append(
            f"{_plural(len(t.changed_files), 'file')} changed since the last green run{where}:"
        )
        out.append("")
        out += [f"- {_code(p)}" for p in t.changed_files[:200]]
        if len(t.changed_files) > 200:
            out.append(f"- … and {len(t.changed_files) - 200} more")
    out.append("")
    for note in t.notes:
        out.append(f"> note: {_md(note)}")
    return "\n".join(out).rstrip() + "\n"


def render(t: Triage, fmt: str) -> str:
    """*t* in one of :data:`FORMATS`."""
    if fmt == "json":
        return render_json(t)
    if fmt == "markdown":
        return render_markdown(t)
    return render_text(t)
