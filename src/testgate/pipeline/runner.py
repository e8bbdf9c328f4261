"""``run_pipeline``: plan, start services, schedule the steps, read their reports, write the run.

The files of a run live under ``.testgate/`` beside the configuration::

    .testgate/runs/<id>/summary.json          the run (schema testgate.summary/1)
    .testgate/runs/<id>/logs/<stage>__<step>.log
    .testgate/runs/<id>/logs/services/<name>.log
    .testgate/latest/summary.json             a copy of the last run's summary
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from testgate.errors import ExitCode, InputError
from testgate.model import ReportData, ReportRef, Run, StepResult, write_summary
from testgate.pipeline import facts
from testgate.pipeline.plan import Plan, PlannedStep, build_plan
from testgate.pipeline.process import (
    DEFAULT_KILL_GRACE,
    HURRY,
    ProcessHandle,
    StepExecution,
    become_subreaper,
    children_of,
    reap_orphans,
    stop_subreaper,
)
from testgate.pipeline.scheduler import Scheduler
from testgate.pipeline.services import ServiceManager

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig

__all__ = [
    "PipelineOutcome",
    "Progress",
    "RunOptions",
    "execute_pipeline",
    "expected_durations",
    "new_run_id",
    "run_pipeline",
]


class Progress(Protocol):
    """What the terminal shows while a run goes on (see :mod:`testgate.pipeline.output`)."""

    def begin(self, plan: Plan) -> None: ...

    def step_started(self, step: PlannedStep) -> None: ...

    def step_finished(self, step: PlannedStep, result: StepResult) -> None: ...

    def note(self, text: str, *, error: bool = False) -> None: ...

    def end(self) -> None: ...


@dataclass
class RunOptions:
    """How to run: ``testgate run``'s options."""

    workers: int | None = None  # None: os.cpu_count()
    fail_fast: bool = False
    stages: Sequence[str] = ()
    steps: Sequence[str] = ()
    #: seconds between SIGTERM and SIGKILL when a tree is killed
    grace: float = DEFAULT_KILL_GRACE
    progress: Progress | None = None
    #: called with the finalised run before its summary is written (gates plug in here)
    before_write: Callable[[Run], None] | None = None
    #: install SIGINT/SIGTERM handlers (only possible in the main thread)
    handle_signals: bool = True


@dataclass
class PipelineOutcome:
    """A finished run and what the command needs to render it and choose its exit code."""

    run: Run
    run_dir: Path
    summary_path: Path
    plan: Plan
    #: one line per report that could not be read
    report_errors: list[str] = field(default_factory=list)
    #: step key -> allow_failure
    allow_failure: dict[str, bool] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """130 interrupted, 2 an unreadable report, 1 a step or test failed, else 0."""
        if self.run.interrupted:
            return int(ExitCode.INTERRUPTED)
        if self.report_errors:
            return int(ExitCode.USAGE_ERROR)
        tolerated = {k for k, v in self.allow_failure.items() if v}
        for s in self.run.steps:
            if f"{s.stage}/{s.name}" in tolerated:
                continue
            if s.status in ("failed", "timed_out", "cancelled"):
                return int(ExitCode.TESTS_FAILED)
        for t in self.run.tests:
            if t.status in ("failed", "error") and t.step not in tolerated:
                return int(ExitCode.TESTS_FAILED)
        return int(ExitCode.OK)


def new_run_id(now: datetime | None = None) -> str:
    """``20261121T120102Z-ab12cd``: sortable by time, unique by a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def expected_durations(state_dir: Path) -> dict[str, float]:
    """Step key -> duration in the last run's summary (empty when there is none)."""
    path = state_dir / "latest" / "summary.json"
    try:
        text = path.read_text(encoding="utf-8")
        # a summary can hold a million tests; decode only its steps when the compact layout
        # written by write_summary makes them easy to find (a quote inside a string value is
        # escaped, so this marker can only be the top-level key)
        at = text.find(',"steps":[')
        if at >= 0:
            steps, _ = json.JSONDecoder().raw_decode(text, at + len(',"steps":'))
        else:
            steps = json.loads(text).get("steps", [])
        return {
            f"{s['stage']}/{s['name']}": float(s["duration_s"])
            for s in steps
            if s.get("status") in ("passed", "failed") and s.get("duration_s") is not None
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # no usable previous run: configuration order decides


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _log_names(plan: Plan) -> dict[str, str]:
    """``<stage>__<step>.log`` per step, made safe for a file name and unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for s in plan.steps:
        base = f"{_UNSAFE.sub('_', s.stage).strip('_')}__{_UNSAFE.sub('_', s.name).strip('_')}"
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names[s.key] = f"logs/{name}.log"
    return names


class _StepJob:
    """A step's execution plus reading its reports, in the worker thread."""

    def __init__(self, step: PlannedStep, execution: StepExecution, root: Path) -> None:
        self.step = step
        self.execution = execution
        self.root = root
        self.read: list[tuple[ReportData, ReportRef]] = []
        self.missing: list[str] = []
        self.errors: list[str] = []

    def cancel(self, reason: str) -> ProcessHandle | None:
        return self.execution.cancel(reason)

    def run(self) -> StepResult:
        self._make_report_dirs()
        result = self.execution.run()
        if result.status in ("passed", "failed", "timed_out") and result.attempts:
            self._read_reports(result, quiet_missing=result.status == "timed_out")
        return result

    def _make_report_dirs(self) -> None:
        """Create the folders reports go to: many reporters fail on a missing directory."""
        for rp in self.step.reports:
            parent = Path(rp.written).expanduser().parent
            if not glob.has_magic(str(parent)):
                with contextlib.suppress(OSError):
                    (self.root / parent).mkdir(parents=True, exist_ok=True)

    def _read_reports(self, result: StepResult, *, quiet_missing: bool) -> None:
        from testgate.adapters import ReadContext, read_report

        ctx = ReadContext(root=self.root, step=self.step.key)
        for rp in self.step.reports:
            if os.path.isabs(rp.written):
                matches = glob.glob(rp.written, recursive=True)
            else:
                # root_dir: brackets or stars in the project's own path are not a pattern
                found = glob.glob(rp.written, root_dir=self.root, recursive=True)
                matches = [str(self.root / m) for m in found]
            files = sorted(m for m in matches if os.path.isfile(m))
            if not files:
                if not quiet_missing:
                    self.missing.append(rp.written)
                continue
            for f in files:
                rel = _rel(Path(f), self.root)
                try:
                    data, ref = read_report(f, format=rp.format, ctx=ctx)
                except InputError as exc:
                    self.errors.append(f"{self.step.key}: report {rel}: {exc}")
                    continue
                ref.path = rel
                self.read.append((data, ref))
                result.reports.append(rel)
        if self.missing:
            listed = ", ".join(f"'{m}'" for m in self.missing)
            note = f"report {listed} was not written" if len(self.missing) == 1 else ""
            note = note or f"reports {listed} were not written"
            result.reason = f"{result.reason}; {note}" if result.reason else note


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def _signals(enabled: bool, handler: Callable[[int], None]) -> Iterator[None]:
    """Route SIGINT and SIGTERM to *handler* while the run goes on (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda signum, _frame: handler(signum))
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def execute_pipeline(loaded: LoadedConfig, options: RunOptions | None = None) -> PipelineOutcome:
    """Run the pipeline of *loaded* and write its summary; see :class:`PipelineOutcome`."""
    options = options or RunOptions()
    root = loaded.root
    env = dict(os.environ)
    plan = build_plan(
        loaded,
        stages=options.stages,
        steps=options.steps,
        context=lambda: facts.expr_context(root, env),
    )
    state = loaded.state_dir
    run_id = new_run_id()
    run_dir = state / "runs" / run_id
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    run = Run(
        id=run_id,
        project=loaded.config.project or root.name,
        started_at=_iso_now(),
        vcs=facts.vcs_info(root, env),
        ci=facts.ci_info(env),
    )
    expected = expected_durations(state)
    base_env = {**env, "TESTGATE_RUN_ID": run_id, "TESTGATE_RUN_DIR": str(run_dir)}
    services = ServiceManager(
        loaded.config.services, root=root, logs=run_dir / "logs", env=base_env, grace=options.grace
    )
    log_names = _log_names(plan)
    jobs: dict[str, _StepJob] = {}
    progress = options.progress
    outcome = PipelineOutcome(
        run=run,
        run_dir=run_dir,
        summary_path=run_dir / "summary.json",
        plan=plan,
        allow_failure={s.key: s.allow_failure for s in plan.steps},
    )

    def prepare(step: PlannedStep) -> str | None:
        return services.ensure(step.services)

    def make_job(step: PlannedStep) -> _StepJob:
        step_env = {
            **base_env,
            **step.env,
            "TESTGATE_STEP": step.key,
            "TESTGATE_STAGE": step.stage,
        }
        execution = StepExecution(
            step,
            log=run_dir / log_names[step.key],
            log_name=log_names[step.key],
            env=step_env,
            grace=options.grace,
            prepare=prepare,
        )
        job = _StepJob(step, execution, root)
        jobs[step.key] = job
        return job

    def on_finish(step: PlannedStep, result: StepResult) -> None:
        job = jobs.get(step.key)
        if job is not None:
            for data, ref in job.read:
                run.absorb(data, ref)
            for missing in job.missing:
                if progress is not None:
                    progress.note(f"{step.key}: report '{missing}' was not written")
            for err in job.errors:
                outcome.report_errors.append(err)
                if progress is not None:
                    progress.note(err, error=True)
        if progress is not None:
            progress.step_finished(step, result)

    def on_interrupt(name: str) -> None:
        if progress is not None:
            progress.note(
                f"interrupted ({name}): stopping every step and service; "
                "interrupt again to kill at once"
            )

    scheduler = Scheduler(
        plan,
        make_job,
        workers=options.workers or os.cpu_count() or 1,
        fail_fast=options.fail_fast,
        expected=expected,
        grace=options.grace,
        on_start=progress.step_started if progress is not None else None,
        on_finish=on_finish,
        on_interrupt=on_interrupt,
    )

    def interrupt(signum: int) -> None:
        services.abort()
        scheduler.interrupt(signum)

    HURRY.clear()
    subreaper = become_subreaper()
    baseline = set(children_of(os.getpid())) if subreaper else set()
    with _signals(options.handle_signals, interrupt):
        if progress is not None:
            progress.begin(plan)
        try:
            run.steps = scheduler.run()
        finally:
            try:
                services.stop_all()
                if subreaper:
                    reap_orphans(baseline, options.grace)
            finally:
                if subreaper:
                    stop_subreaper()
                if progress is not None:
                    progress.end()
        # an interrupt while services stop still ends the run as interrupted
        run.interrupted = scheduler.signalled is not None
        run.finished_at = _iso_now()
        run.finalize()
        if options.before_write is not None:
            options.before_write(run)
        write_summary(run, outcome.summary_path)
        latest = state / "latest"
        latest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(outcome.summary_path, latest / ".summary.json.tmp")
        os.replace(latest / ".summary.json.tmp", latest / "summary.json")
    from testgate.plugins import get_plugins

    get_plugins().run_finished(run)
    return outcome


def run_pipeline(loaded: LoadedConfig, options: RunOptions | None = None) -> Run:
    """Run the pipeline of *loaded*, write ``summary.json`` and return the :class:`Run`."""
    return execute_pipeline(loaded, options).run
