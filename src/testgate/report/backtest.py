"""A back-test of the gates (``testgate gate --backtest``) as text, JSON or Markdown."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from testgate.report.markdown import md_cell

if TYPE_CHECKING:
    from testgate.gates.backtest import Backtest

__all__ = ["BACKTEST_FORMATS", "render_backtest"]

BACKTEST_FORMATS = ("text", "json", "markdown")


def _summary(b: Backtest) -> list[str]:
    n, blocked, fixed = len(b.rows), len(b.blocked), len(b.fixed)
    where = f" of {b.branch}" if b.branch else ""
    pct = f" ({100.0 * blocked / n:.0f}%)" if n else ""
    lines = [
        f"{n} run(s){where}: the gates would have blocked {blocked}{pct}; {fixed} of them were "
        f"followed by a fix on their branch (a later run the gates pass), "
        f"{blocked - fixed} were not"
    ]
    changed = [r for r in b.rows if r.recorded and r.recorded.startswith("pass") != r.passed]
    if changed:
        lines.append(
            f"{len(changed)} run(s) would get another verdict than the one recorded then: "
            + ", ".join(
                f"{r.run} ({r.recorded} -> {'pass' if r.passed else 'fail'})" for r in changed
            )
        )
    lines.extend(f"note: {note}" for note in b.notes)
    return lines


def _text(b: Backtest) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, width=160, color_system=None, highlight=False, emoji=False)
    table = Table(show_lines=False, pad_edge=False)
    for col, most in (("run", 26), ("started", 19), ("commit", 10), ("would be", 9)):
        table.add_column(col, overflow="fold", max_width=most)
    table.add_column("recorded", overflow="fold", max_width=16)
    table.add_column("decided by", overflow="fold", min_width=40, ratio=1)
    table.add_column("fixed by", overflow="fold", max_width=26)
    for r in b.rows:
        table.add_row(
            Text(r.run),
            Text((r.started_at or "")[:19]),
            Text((r.commit or "")[:10]),
            Text("pass" if r.passed else "BLOCK"),
            Text(r.recorded or "-"),
            Text("\n".join(r.deciding) if r.deciding else ""),
            Text(r.fixed_by or ("" if r.passed else "not yet")),
        )
    console.print(table)
    for line in _summary(b):
        console.print(Text(line), soft_wrap=True)
    return buf.getvalue()


def _markdown(b: Backtest) -> str:
    where = f" of `{md_cell(b.branch)}`" if b.branch else ""
    out = [
        f"## testgate back-test: {len(b.blocked)} of {len(b.rows)} run(s){where} would be blocked",
        "",
        "| run | started | commit | would be | recorded | decided by | fixed by |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in b.rows:
        out.append(
            f"| {md_cell(r.run)} | {md_cell((r.started_at or '')[:19])} "
            f"| `{md_cell((r.commit or '')[:10])}` | {'✅ pass' if r.passed else '❌ block'} "
            f"| {md_cell(r.recorded or '-')} | {'<br>'.join(md_cell(d) for d in r.deciding)} "
            f"| {md_cell(r.fixed_by or ('' if r.passed else 'not yet'))} |"
        )
    out += ["", *(f"- {md_cell(line)}" for line in _summary(b))]
    return "\n".join(out) + "\n"


def render_backtest(b: Backtest, fmt: str) -> str:
    """The back-test in *fmt*: ``text`` (a table and a summary), ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps(b.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(b)
    return _text(b)
