"""What ``testgate run`` shows: live progress on a TTY, one plain line per event elsewhere,
and at the end a table of the steps, the tail of each failing step's log and one verdict line.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from testgate.model import Run, StepResult
from testgate.pipeline.plan import Plan, PlannedStep
from testgate.pipeline.services import log_tail

__all__ = [
    "TAIL_LINES",
    "LiveProgress",
    "PlainProgress",
    "QuietProgress",
    "make_console",
    "make_progress",
    "render_steps",
    "run_counts",
    "shown_path",
]

#: Lines of a failing step's log shown at the end.
TAIL_LINES = 30

#: Width of the console when output is not a terminal, so that output is deterministic.
PLAIN_WIDTH = 120

_WORD = {
    "passed": "pass",
    "failed": "fail",
    "timed_out": "timeout",
    "skipped": "skip",
    "cancelled": "cancel",
}
_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "timed_out": "bold red",
    "skipped": "yellow",
    "cancelled": "magenta",
}


def make_console(file: object = None, *, stderr: bool = False) -> Console:
    """A console writing to stdout (or stderr); fixed width and no colour unless a TTY."""
    import sys

    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    tty = bool(getattr(stream, "isatty", lambda: False)())
    if tty:
        return Console(file=stream, highlight=False)  # type: ignore[arg-type]
    return Console(
        file=stream,  # type: ignore[arg-type]
        width=PLAIN_WIDTH,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=True,
    )


def _clock() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _secs(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(round(seconds), 60)
    return f"{m}m{s:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


def _event_line(step: PlannedStep, result: StepResult) -> str:
    word = _WORD.get(result.status, result.status)
    line = f"{word} {step.key}"
    if result.status in ("passed", "failed", "timed_out"):
        line += f" {_secs(result.duration_s)}"
    extra: list[str] = []
    if result.status == "failed" and result.exit_code is not None:
        extra.append(f"exit {result.exit_code}")
    if result.attempts > 1:
        extra.append(f"{result.attempts} attempts")
    if result.reason:
        extra.append(result.reason)
    if extra:
        line += f" ({'; '.join(extra)})"
    return line


class QuietProgress:
    """``--quiet``: nothing while the run goes on but errors."""

    def __init__(self, err: Console) -> None:
        self.err = err

    def begin(self, plan: Plan) -> None:
        pass

    def step_started(self, step: PlannedStep) -> None:
        pass

    def step_finished(self, step: PlannedStep, result: StepResult) -> None:
        pass

    def note(self, text: str, *, error: bool = False) -> None:
        if error:
            self.err.print(f"testgate: error: {text}", markup=False)

    def end(self) -> None:
        pass


class PlainProgress(QuietProgress):
    """One line per event: ``[12:01:02] start unit/pytest``, ``[12:01:05] pass unit/pytest 3.1s``.

    Used whenever the output is not a terminal (CI logs, pipes, tests).
    """

    def __init__(self, console: Console, err: Console) -> None:
        super().__init__(err)
        self.console = console

    def _line(self, text: str) -> None:
        self.console.print(f"[{_clock()}] {text}", markup=False)

    def step_started(self, step: PlannedStep) -> None:
        self._line(f"start {step.key}")

    def step_finished(self, step: PlannedStep, result: StepResult) -> None:
        self._line(_event_line(step, result))

    def note(self, text: str, *, error: bool = False) -> None:
        if error:
            super().note(text, error=True)
        else:
            self._line(f"warning: {text}")


class _Board:
    """The live part of the screen: running steps with their elapsed time, and counts."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.failed = 0
        self.running: dict[str, float] = {}

    def __rich__(self) -> RenderableType:
        now = time.monotonic()
        rows: list[RenderableType] = [
            Text.assemble(
                ("testgate ", "bold"),
                f"{self.done}/{self.total} done · {len(self.running)} running",
                (f" · {self.failed} failed" if self.failed else "", "bold red"),
            )
        ]
        for key, t0 in sorted(self.running.items(), key=lambda kv: kv[1]):
            rows.append(Text.assemble(("  ⠿ ", "cyan"), key, (f"  {_secs(now - t0)}", "dim")))
        return Group(*rows)


class LiveProgress(PlainProgress):
    """On a TTY: a live board of running steps; finished steps scroll above it."""

    def __init__(self, console: Console, err: Console) -> None:
        super().__init__(console, err)
        self.board = _Board()
        self.live = Live(self.board, console=console, refresh_per_second=8, transient=True)

    def begin(self, plan: Plan) -> None:
        self.board.total = len(plan.steps)
        self.live.start()

    def step_started(self, step: PlannedStep) -> None:
        self.board.running[step.key] = time.monotonic()

    def step_finished(self, step: PlannedStep, result: StepResult) -> None:
        self.board.running.pop(step.key, None)
        self.board.done += 1
        if result.status in ("failed", "timed_out"):
            self.board.failed += 1
        text = Text(f"[{_clock()}] ")
        text.append(_event_line(step, result), style=_STYLE.get(result.status, ""))
        self.console.print(text)

    def end(self) -> None:
        self.live.stop()


def make_progress(console: Console, err: Console, *, quiet: bool) -> QuietProgress:
    if quiet:
        return QuietProgress(err)
    if console.is_terminal:
        return LiveProgress(console, err)
    return PlainProgress(console, err)


def _test_counts(run: Run) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for t in run.tests:
        if t.step is None:
            continue
        c = counts.setdefault(t.step, {})
        c[t.status] = c.get(t.status, 0) + 1
    return counts


def _tests_cell(c: dict[str, int] | None) -> str:
    if not c:
        return ""
    failed = c.get("failed", 0) + c.get("error", 0)
    parts = [f"{c.get('passed', 0)} passed"]
    if failed:
        parts.append(f"{failed} failed")
    if c.get("skipped"):
        parts.append(f"{c['skipped']} skipped")
    return ", ".join(parts)


def shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def render_steps(console: Console, run: Run, run_dir: Path | None) -> None:
    """The table of steps and the tail of each failing step's log."""
    counts = _test_counts(run)
    if not run.steps:
        return
    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("stage")
    table.add_column("step")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("tests")
    for s in run.steps:
        key = f"{s.stage}/{s.name}"
        dur = _secs(s.duration_s) if s.status not in ("skipped",) and s.attempts else ""
        table.add_row(
            Text(s.stage),
            Text(s.name),
            Text(f"{s.status} (cached)" if s.cached else s.status, style=_STYLE.get(s.status, "")),
            dur,
            _tests_cell(counts.get(key)),
        )
    console.print()
    if console.is_terminal:
        console.print(table)
    else:
        # no padding at the ends of lines: logs and tests compare lines
        with console.capture() as cap:
            console.print(table)
        for line in cap.get().splitlines():
            console.print(line.rstrip(), markup=False, highlight=False)
    for s in run.steps:
        if s.status not in ("failed", "timed_out") or not s.log or run_dir is None:
            continue
        log = run_dir / s.log
        console.print()
        console.print(
            Text(f"── {s.stage}/{s.name} {s.status}: last lines of {shown_path(log)}", style="bold")
        )
        tail = log_tail(log, TAIL_LINES)
        if not tail:
            console.print(Text("(the step printed nothing)", style="dim"))
        for line in tail:
            console.print(Text(line), soft_wrap=True)


def run_counts(run: Run) -> list[str]:
    """``["3 steps: 2 passed, 1 failed", "10 tests: 7 passed, 1 failed, 2 errors", "4.2s"]``:
    the words of the summary's metrics (failures and errors apart, as in ``tests.*``)."""
    by = dict.fromkeys(("passed", "failed", "timed_out", "skipped", "cancelled"), 0)
    for s in run.steps:
        by[s.status] = by.get(s.status, 0) + 1
    m = run.metrics
    parts: list[str] = []
    if run.steps:
        parts.append(f"{len(run.steps)} steps: {by['passed']} passed")
        for st in ("failed", "timed_out", "skipped", "cancelled"):
            if by[st]:
                parts[-1] += f", {by[st]} {st.replace('_', ' ')}"
    if "tests.total" in m:
        t = f"{int(m['tests.total'])} tests: {int(m.get('tests.passed', 0))} passed"
        failures = int(m.get("tests.failures", 0))
        errors = int(m.get("tests.errors", 0))
        if failures:
            t += f", {failures} failed"
        if errors:
            t += f", {errors} error{'s' if errors != 1 else ''}"
        if m.get("tests.skipped"):
            t += f", {int(m['tests.skipped'])} skipped"
        parts.append(t)
    if "pipeline.duration_s" in m:
        parts.append(_secs(m["pipeline.duration_s"]))
    return parts
