"""What ``testgate run`` shows: live progress on a TTY, one plain line per event elsewhere,
and at the end a table of the steps, the tail of each failing step's log and one verdict line.

Without a TTY (a CI log) nothing moves on screen, so a step that runs long gets a heartbeat line
every ``TESTGATE_HEARTBEAT`` seconds (default 60; 0 turns it off): how long it has run and the
last line it printed, so that a CI log never looks hung and a hung step shows where it stopped.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from testgate.errors import UsageError
from testgate.model import Run, StepResult
from testgate.pipeline.plan import Plan, PlannedStep
from testgate.pipeline.services import log_tail

__all__ = [
    "DEFAULT_HEARTBEAT_S",
    "HEARTBEAT_ENV",
    "TAIL_LINES",
    "Heartbeat",
    "LiveProgress",
    "PlainProgress",
    "QuietProgress",
    "heartbeat_interval",
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

#: The environment variable that sets the heartbeat interval in seconds (0: off).
HEARTBEAT_ENV = "TESTGATE_HEARTBEAT"
#: Seconds a step runs before its first heartbeat line, and between two of them.
DEFAULT_HEARTBEAT_S = 60.0
#: At most this much of a step's last output line is shown in a heartbeat.
_HEARTBEAT_LINE_CHARS = 160

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

    def attach(self, run_dir: Path) -> None:
        """The run's directory, known once the run has an id."""

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


def heartbeat_interval(env: dict[str, str] | None = None) -> float:
    """Seconds between heartbeat lines from ``TESTGATE_HEARTBEAT`` (default 60, 0: off)."""
    raw = (os.environ if env is None else env).get(HEARTBEAT_ENV, "").strip()
    if not raw:
        return DEFAULT_HEARTBEAT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 and value != float("inf")):
        raise UsageError(
            f"{HEARTBEAT_ENV}={raw!r}: expected a number of seconds between heartbeat lines "
            f"(default {DEFAULT_HEARTBEAT_S:g}; 0 turns them off)",
            slug="heartbeat",
        )
    return value


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def _last_line(log: Path) -> tuple[str, float] | None:
    """The last non-blank line of *log* (control characters dropped) and when it was written."""
    try:
        with open(log, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 8192))
            data = fh.read()
            mtime = os.fstat(fh.fileno()).st_mtime
    except OSError:
        return None
    text = _ANSI.sub("", data.decode("utf-8", errors="replace"))
    for line in reversed(re.split(r"[\r\n]", text)):
        clean = "".join(ch for ch in line if ch.isprintable()).strip()
        if clean:
            if len(clean) > _HEARTBEAT_LINE_CHARS:
                clean = clean[: _HEARTBEAT_LINE_CHARS - 1] + "…"
            return clean, mtime
    return None


class Heartbeat:
    """Says, every *interval* seconds, which steps still run, for how long, and the last line
    each printed. A daemon thread; :meth:`stop` ends it.

    The step logs are found through :meth:`attach` (the run directory) when the runner calls it;
    otherwise under the newest ``.testgate/runs/<id>/`` above the step's directory created since
    the run began (step logs are named as :mod:`testgate.pipeline.runner` names them).
    """

    def __init__(
        self,
        emit: Callable[[str], None],
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.emit = emit
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        #: step key -> (step, started at, last heartbeat at)
        self._running: dict[str, tuple[PlannedStep, float, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._began = time.time()
        self._names: dict[str, str] = {}
        self._run_dir: Path | None = None

    def attach(self, run_dir: Path) -> None:
        """The run's directory (its logs are under ``logs/``)."""
        self._run_dir = run_dir

    def start(self, plan: Plan) -> None:
        if self.interval <= 0:
            return
        from testgate.pipeline.runner import _log_names

        self._names = _log_names(plan)
        self._began = time.time()
        tick = max(0.05, min(1.0, self.interval / 4))
        self._thread = threading.Thread(
            target=self._loop, args=(tick,), name="testgate-heartbeat", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def started(self, step: PlannedStep) -> None:
        now = self.clock()
        with self._lock:
            self._running[step.key] = (step, now, now)

    def finished(self, step: PlannedStep) -> None:
        with self._lock:
            self._running.pop(step.key, None)

    def _loop(self, tick: float) -> None:
        while not self._stop.wait(tick):
            self.beat()

    def beat(self) -> None:
        """Emit a line for every step that ran *interval* seconds since its start or its last
        heartbeat."""
        now = self.clock()
        due: list[tuple[PlannedStep, float]] = []
        with self._lock:
            for key, (step, t0, last) in list(self._running.items()):
                if now - last >= self.interval:
                    self._running[key] = (step, t0, now)
                    due.append((step, now - t0))
        for step, elapsed in due:
            self.emit(self._line(step, elapsed))

    def _line(self, step: PlannedStep, elapsed: float) -> str:
        text = f"running {step.key} for {_secs(elapsed)}"
        log = self._log(step)
        last = _last_line(log) if log is not None else None
        if last is None:
            return text + " (no output yet)"
        line, mtime = last
        quiet = max(0.0, time.time() - mtime)
        return text + f"; last output {_secs(quiet)} ago: {line}"

    def _log(self, step: PlannedStep) -> Path | None:
        name = self._names.get(step.key)
        if name is None:
            return None
        run_dir = self._run_dir or self._find_run_dir(step)
        if run_dir is None:
            return None
        return run_dir / name

    def _find_run_dir(self, step: PlannedStep) -> Path | None:
        for d in (step.cwd, *step.cwd.parents):
            runs = d / ".testgate" / "runs"
            if not runs.is_dir():
                continue
            name = self._names[step.key]
            try:
                fresh = [
                    r
                    for r in runs.iterdir()
                    if (r / name).is_file() and r.stat().st_mtime >= self._began - 5
                ]
            except OSError:
                return None
            if fresh:
                # run ids sort by their start time
                self._run_dir = max(fresh, key=lambda r: r.name)
                return self._run_dir
            return None
        return None


class PlainProgress(QuietProgress):
    """One line per event: ``[12:01:02] start unit/pytest``, ``[12:01:05] pass unit/pytest 3.1s``,
    and a heartbeat for a step that runs long (:class:`Heartbeat`).

    Used whenever the output is not a terminal (CI logs, pipes, tests).
    """

    def __init__(self, console: Console, err: Console, *, heartbeat: float = 0.0) -> None:
        super().__init__(err)
        self.console = console
        self.heartbeat = Heartbeat(self._line, heartbeat)

    def _line(self, text: str) -> None:
        self.console.print(f"[{_clock()}] {text}", markup=False)

    def attach(self, run_dir: Path) -> None:
        """The run's directory, so that heartbeats read the step logs without looking for it
        (for the runner to call once it has made the directory)."""
        self.heartbeat.attach(run_dir)

    def begin(self, plan: Plan) -> None:
        self.heartbeat.start(plan)

    def step_started(self, step: PlannedStep) -> None:
        self.heartbeat.started(step)
        self._line(f"start {step.key}")

    def step_finished(self, step: PlannedStep, result: StepResult) -> None:
        self.heartbeat.finished(step)
        self._line(_event_line(step, result))

    def note(self, text: str, *, error: bool = False) -> None:
        if error:
            super().note(text, error=True)
        else:
            self._line(f"warning: {text}")

    def end(self) -> None:
        self.heartbeat.stop()


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
    """``--quiet``: errors only; a TTY: the live board; elsewhere plain lines with a heartbeat
    (``TESTGATE_HEARTBEAT``; a bad value is a usage error)."""
    if quiet:
        return QuietProgress(err)
    if console.is_terminal:
        return LiveProgress(console, err)
    return PlainProgress(console, err, heartbeat=heartbeat_interval())


def _test_counts(run: Run) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    quarantined = run.quarantined()
    for t in run.tests:
        if t.step is None:
            continue
        c = counts.setdefault(t.step, {})
        c[t.status] = c.get(t.status, 0) + 1
        if t.status in ("failed", "error") and t.id in quarantined:
            c["quarantined"] = c.get("quarantined", 0) + 1
    return counts


def _tests_cell(c: dict[str, int] | None) -> str:
    if not c:
        return ""
    failed = c.get("failed", 0) + c.get("error", 0)
    parts = [f"{c.get('passed', 0)} passed"]
    if failed:
        q = c.get("quarantined", 0)
        parts.append(f"{failed} failed" + (f" ({q} quarantined)" if q else ""))
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
    _, quarantine_only = run.quarantine_failures()
    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("stage")
    table.add_column("step")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("tests")
    for s in run.steps:
        key = f"{s.stage}/{s.name}"
        dur = _secs(s.duration_s) if s.status not in ("skipped",) and s.attempts else ""
        status = Text(s.status, style=_STYLE.get(s.status, ""))
        if key in quarantine_only:
            status = Text("quarantined", style="yellow")
        elif s.cached:
            status = Text(f"{s.status} (cached)", style=_STYLE.get(s.status, ""))
        table.add_row(
            Text(s.stage),
            Text(s.name),
            status,
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
    _render_quarantined(console, run)
    for s in run.steps:
        if s.status not in ("failed", "timed_out") or not s.log or run_dir is None:
            continue
        if f"{s.stage}/{s.name}" in quarantine_only:
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


def _render_quarantined(console: Console, run: Run) -> None:
    """One line per quarantined test that failed: it does not fail the run, but is shown."""
    rows, _ = run.quarantine_failures()
    if not rows:
        return
    quarantined = run.quarantined()
    console.print()
    for t in rows:
        q = quarantined[t.id]
        console.print(
            f"quarantined: {t.id} {t.status} (owner {q.get('owner') or '?'}, until "
            f"{q.get('expires') or '?'}: {q.get('reason') or 'no reason given'})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


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
        q = len(run.quarantine_failures()[0])
        if q:
            t += f" ({q} quarantined)"
        parts.append(t)
    if "pipeline.duration_s" in m:
        parts.append(_secs(m["pipeline.duration_s"]))
    return parts
