"""``execute_pipeline``: plan, start services, schedule the steps on an executor, read their
reports into one :class:`~testgate.model.Run`.

The files of a run live under ``.testgate/`` beside the configuration::

    .testgate/runs/<id>/logs/<stage>__<step>.log   written here, while the steps run
    .testgate/runs/<id>/logs/services/<name>.log
    .testgate/runs/<id>/summary.json               written by the workflow's persist step
    .testgate/latest/summary.json                  a copy of the last run's summary
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from testgate._faults import point as fault_point
from testgate.errors import InputError, TestgateError
from testgate.model import ReportData, ReportRef, Run, StepResult, StepStatus
from testgate.pipeline import facts, process
from testgate.pipeline.executor import Executor, StepHandle, StepRequest, StepRun
from testgate.pipeline.local import LocalExecutor
from testgate.pipeline.plan import (
    Plan,
    PlannedStep,
    build_plan,
    shard_file_list,
    substitute_shard,
    uses_shard,
)
from testgate.pipeline.process import (
    DEFAULT_KILL_GRACE,
    HURRY,
    become_subreaper,
    children_of,
    reap_orphans,
    stop_subreaper,
)
from testgate.pipeline.retry import retry_reason
from testgate.pipeline.scheduler import Scheduler
from testgate.pipeline.services import ServiceManager
from testgate.pipeline.watchdog import start_watchdog

if TYPE_CHECKING:
    from testgate.config.loader import LoadedConfig
    from testgate.pipeline.cache import StepCache, StepKey
    from testgate.triage.categories import CategoryRule

__all__ = [
    "PYTEST_PLAN_ENV",
    "PipelineOutcome",
    "Progress",
    "RunOptions",
    "execute_pipeline",
    "expected_durations",
    "new_run_id",
    "write_pytest_plan",
]


class Progress(Protocol):
    """What the terminal shows while a run goes on (see :mod:`testgate.pipeline.output`)."""

    def attach(self, run_dir: Path) -> None: ...

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
    #: where steps run; None: a :class:`~testgate.pipeline.local.LocalExecutor`
    executor: Executor | None = None
    #: install SIGINT/SIGTERM handlers (only possible in the main thread)
    handle_signals: bool = True
    #: called with the plan before anything runs, in order (selection, then sharding): they
    #: may skip steps, rewrite commands and fill ``PlannedStep.pytest_plan``
    plan_hooks: Sequence[Callable[[Plan], None]] = ()
    #: use the step cache: True ``--cache``, False ``--no-cache``, None as ``cache:`` says
    #: (off unless the configuration turns it on)
    cache: bool | None = None


@dataclass
class PipelineOutcome:
    """A finished run (its reports read, its summary not yet written) and what the workflow
    needs to gate, persist and render it."""

    run: Run
    run_dir: Path
    plan: Plan
    #: one line per report that could not be read, or was not this run's
    report_errors: list[str] = field(default_factory=list)
    #: step key -> allow_failure
    allow_failure: dict[str, bool] = field(default_factory=dict)

    @property
    def summary_path(self) -> Path:
        """Where the workflow writes this run's summary."""
        return self.run_dir / "summary.json"


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
        # a summary can hold a million tests; its steps are in the head, on the first line
        # (testgate.model.write_summary), so only that line is decoded
        marker = b',"tests":[\n'
        with open(path, "rb") as fh:
            first = fh.readline()
            if first.endswith(marker):
                doc = json.loads(first[: -len(marker)] + b"}")
            else:  # another layout (indented by hand, an older testgate): read it whole
                doc = json.loads(first + fh.read())
        return {
            f"{s['stage']}/{s['name']}": float(s["duration_s"])
            for s in doc.get("steps", [])
            if s.get("status") in ("passed", "failed")
            and s.get("duration_s") is not None
            and not s.get("cached")  # a replayed step took no time; its real run did
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}  # no usable previous run: configuration order decides


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


#: the variable that switches testgate's pytest plugin on (see testgate.pytest_plugin)
PYTEST_PLAN_ENV = "TESTGATE_PYTEST_PLAN"
PYTEST_PLAN_SCHEMA = "testgate.pytest-plan/1"


def write_pytest_plan(plan: dict[str, object], folder: Path, log_name: str) -> Path:
    """Write a step's pytest plan to ``<folder>/<step>.json``; the plugin writes what it did
    to ``<step>.result.json`` beside it (``result``), so that testgate can tell whether the
    step's pytest followed the plan at all."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(log_name).stem}.json"
    doc = {"schema": PYTEST_PLAN_SCHEMA, **plan, "result": str(path.with_suffix(".result.json"))}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


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
    """A step in a worker thread: its services, its run on the executor, its reports read."""

    def __init__(
        self,
        step: PlannedStep,
        request: StepRequest,
        executor: Executor,
        prepare: Callable[[PlannedStep], str | None],
        rules: Sequence[CategoryRule] = (),
        cache: _Caching | None = None,
    ) -> None:
        self.step = step
        self.request = request
        self.executor = executor
        self.prepare = prepare
        #: triage's category rules, for ``retry_on``
        self.rules = rules
        self.cache = cache
        self.read: list[tuple[ReportData, ReportRef]] = []
        self.missing: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._cancel_reason: str | None = None
        self._handle: StepHandle | None = None

    def cancel(self, reason: str) -> None:
        with self._lock:
            if self._cancel_reason is None:
                self._cancel_reason = reason
            handle = self._handle
        if handle is not None:
            handle.cancel(reason)

    def _result(self, status: StepStatus, **kw: object) -> StepResult:
        return StepResult(
            stage=self.step.stage,
            name=self.step.name,
            status=status,
            log=self.request.log_name,
            command=self.step.display_command,
            **kw,  # type: ignore[arg-type]
        )

    def run(self) -> StepResult:
        key = self.cache.key(self.step) if self.cache is not None else None
        if key is not None:
            assert self.cache is not None
            replayed = self.cache.replay(self, key)
            if replayed is not None:
                return replayed
        result = self._run()
        if key is not None and result.status == "passed" and not self.errors and not self.missing:
            assert self.cache is not None
            self.cache.store(self, key, result)
        return result

    def _run(self) -> StepResult:
        started_at = _iso_now()
        t0 = time.monotonic()
        if self.step.services and not getattr(self.executor, "runs_services", False):
            problem = self.prepare(self.step)
            if problem is not None:
                _append(self.request.log, f"testgate: step not started: {problem}\n")
                with self._lock:
                    cancelled = self._cancel_reason
                if cancelled:
                    return self._result("cancelled", reason=cancelled, started_at=started_at)
                return self._result(
                    "failed",
                    reason=problem.splitlines()[0],
                    started_at=started_at,
                    duration_s=round(time.monotonic() - t0, 3),
                )
        self._make_report_dirs()
        with self._lock:
            if self._cancel_reason is not None:
                return self._result("cancelled", reason=self._cancel_reason)
            handle = self.executor.start(self.request)
            self._handle = handle
        fault_point("step")
        step_run = handle.wait()
        result = step_run.result
        if result.status in ("passed", "failed", "timed_out") and result.attempts:
            self._read_reports(step_run, quiet_missing=result.status == "timed_out")
        if self.step.retry_on:
            why = retry_reason(
                result, self.read, self.step.retry_on, log=self.request.log, rules=self.rules
            )
            if why is not None:
                result = self._retry(result, why)
        return result

    def _retry(self, first: StepResult, why: str) -> StepResult:
        """Run the step once more (``retry_on``); the first attempt's reports are dropped."""
        _append(self.request.log, f"\n=== testgate: {why}; retry_on runs the step once more ===\n")
        with self._lock:
            if self._cancel_reason is not None:
                return first
            self.read.clear()
            self.missing.clear()
            self.errors.clear()
            handle = self.executor.start(dataclasses.replace(self.request, retries=0))
            self._handle = handle
        step_run = handle.wait()
        result = step_run.result
        if result.status in ("passed", "failed", "timed_out") and result.attempts:
            self._read_reports(step_run, quiet_missing=result.status == "timed_out")
        result.attempts += first.attempts
        result.duration_s = round(first.duration_s + result.duration_s, 3)
        result.started_at = first.started_at
        result.retried_on = why
        return result

    def _make_report_dirs(self) -> None:
        """Create the folders reports go to: many reporters fail on a missing directory."""
        for rp in self.step.reports:
            parent = Path(rp.written).expanduser().parent
            if not glob.has_magic(str(parent)):
                with contextlib.suppress(OSError):
                    (self.request.root / parent).mkdir(parents=True, exist_ok=True)

    def _read_reports(self, step_run: StepRun, *, quiet_missing: bool) -> None:
        from testgate.adapters import ReadContext, read_report

        result = step_run.result
        root = self.request.root
        formats = {rp.written: rp.format for rp in self.step.reports}
        ctx = ReadContext(
            root=root,
            step=self.step.key,
            command=self.step.display_command,
            masker=self.request.masker,
        )
        if not quiet_missing:
            self.missing.extend(step_run.missing)
        for path in step_run.stale:
            self.errors.append(
                f"{self.step.key}: stale report: {_rel(path, root)} was last written before the "
                "step started, so it is not this run's (the step did not write it)"
            )
        top = root.resolve()
        for f in step_run.reports:
            fault_point("read")
            with self._lock:
                if self._cancel_reason is not None:
                    break  # interrupted: the run ends now; its reports are not read
            rel = _rel(f, root)
            if not self.step.allow_outside_reports and not f.resolve().is_relative_to(top):
                self.errors.append(
                    f"{self.step.key}: report {rel}: leads outside the configuration's folder "
                    f"(to {f.resolve()}); it is not read. Expected a file under {root}, or "
                    "set allow_outside_reports: true"
                )
                continue
            fmt = _format_for(f, root, formats)
            try:
                data, ref = read_report(f, format=fmt, ctx=ctx)
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


class _Caching:
    """The step cache as the pipeline uses it (see :mod:`testgate.pipeline.cache`)."""

    def __init__(self, cache: StepCache, *, root: Path, run_id: str, run_dir: Path) -> None:
        self.cache = cache
        self.root = root
        self.run_id = run_id
        self.run_dir = run_dir
        self.fresh: dict[str, list[Path]] = {}

    def key(self, step: PlannedStep) -> StepKey | None:
        from testgate import __version__
        from testgate.pipeline.cache import step_key

        if not step.cache or (step.services and not step.inputs):
            return None
        return step_key(
            root=self.root,
            cwd=step.cwd,
            command=step.display_command,
            env=dict(step.env),
            reports=[r.written for r in step.reports],
            inputs=list(step.inputs),
            version=__version__,
        )

    def replay(self, job: _StepJob, key: StepKey) -> StepResult | None:
        from testgate.pipeline.cache import replayed_result

        entry = self.cache.get(key.key)
        if entry is None:
            return None
        base = self.run_dir / "cached" / Path(job.request.log_name).stem.removeprefix("logs/")
        paths: list[Path] = []
        for rel, data in entry.reports:
            target = (base / rel).resolve()
            if base.resolve() not in target.parents:
                return None  # a path that would escape the directory: not ours, a miss
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            paths.append(target)
        result = replayed_result(
            entry,
            stage=job.step.stage,
            name=job.step.name,
            log=job.request.log_name,
            command=job.step.display_command,
        )
        _append(
            job.request.log,
            f"testgate: not run: {result.reason}; its {len(paths)} report(s) replayed from "
            f"the step cache ({self.cache.where})\n",
        )
        job._read_reports(StepRun(result, sorted(paths)), quiet_missing=False)
        return result

    def store(self, job: _StepJob, key: StepKey, result: StepResult) -> None:
        from testgate.pipeline.cache import MAX_ENTRY_BYTES, CacheEntry

        reports: list[tuple[str, bytes]] = []
        size = 0
        for rel in result.reports:
            try:
                data = (self.root / rel).read_bytes()
            except OSError:
                return
            size += len(data)
            if size > MAX_ENTRY_BYTES:
                return
            reports.append((rel, data))
        entry = CacheEntry(key.key, job.step.key, self.run_id, result.to_dict(), reports)
        with contextlib.suppress(OSError, TestgateError):
            self.cache.put(entry)


def _open_cache(loaded: LoadedConfig, enabled: bool | None) -> StepCache | None:
    spec = loaded.config.cache
    if not (spec.enabled if enabled is None else enabled):
        return None
    from testgate.pipeline.cache import DbCache, DirCache

    if spec.url:
        from testgate.history.store import resolve_url

        url = resolve_url(None, loaded) if spec.url == "history" else spec.url
        return DbCache(url)
    directory = Path(spec.dir).expanduser() if spec.dir else loaded.state_dir / "cache"
    if not directory.is_absolute():
        directory = loaded.root / directory
    return DirCache(directory)


def _writes_coverage_data(step: PlannedStep) -> bool:
    """Whether a step's reports include a coverage.py data file (``.coverage``)."""
    return any(
        r.format == "coveragepy-data"
        or (r.format is None and Path(r.written).name.startswith(".coverage"))
        for r in step.reports
    )


def _format_for(path: Path, root: Path, formats: dict[str, str | None]) -> str | None:
    """The ``format:`` declared for the report pattern that names *path*, if any."""
    if len(formats) == 1:
        return next(iter(formats.values()))
    from testgate.pipeline.executor import match_reports

    for pattern, fmt in formats.items():
        if fmt is not None and path in match_reports(pattern, root):
            return fmt
    return None


def _append(log: Path, text: str) -> None:
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        pass


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


def _category_rules(loaded: LoadedConfig) -> list[CategoryRule]:
    """The configuration's own failure categories (``triage.categories``), for ``retry_on``."""
    from testgate.triage.categories import parse_rules

    return parse_rules(loaded.config.triage.categories)


def execute_pipeline(loaded: LoadedConfig, options: RunOptions | None = None) -> PipelineOutcome:
    """Run the pipeline of *loaded* on the executor and read every report into one run.

    Writes only the steps' and services' logs (under ``.testgate/runs/<id>/logs``); the
    summary, ``latest/`` and the history are the workflow's ``persist`` step.
    """
    options = options or RunOptions()
    root = loaded.root
    env = dict(os.environ)
    plan = build_plan(
        loaded,
        stages=options.stages,
        steps=options.steps,
        context=lambda: facts.expr_context(root, env),
    )
    for hook in options.plan_hooks:
        hook(plan)
    for step in plan.steps:  # an unsharded run is shard 1 of 1
        if uses_shard(step):
            substitute_shard(step, 1, 1, shard_file_list(step))
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
    # built once: the secrets of every environment a step or service sees (docs/secrets.md)
    masker = loaded.config.secrets.masker(
        [env, *(s.env for s in plan.steps), *(v.env for v in loaded.config.services.values())]
    )
    services = ServiceManager(
        loaded.config.services,
        root=root,
        logs=run_dir / "logs",
        env=base_env,
        grace=options.grace,
        masker=masker,
    )
    executor: Executor = options.executor or LocalExecutor()
    cache = _open_cache(loaded, options.cache)
    caching = (
        _Caching(cache, root=root, run_id=run_id, run_dir=run_dir) if cache is not None else None
    )
    log_names = _log_names(plan)
    rules = _category_rules(loaded) if any(s.retry_on for s in plan.steps) else []
    jobs: dict[str, _StepJob] = {}
    progress = options.progress
    outcome = PipelineOutcome(
        run=run,
        run_dir=run_dir,
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
        if _writes_coverage_data(step) and "COVERAGE_CORE" not in step_env:
            # coverage.py's sysmon core (the default from Python 3.14) drops the per-test
            # contexts that selection's test map needs; its C tracer keeps them
            step_env["COVERAGE_CORE"] = "ctrace"
            _append(
                run_dir / log_names[step.key],
                "testgate: COVERAGE_CORE=ctrace (the step writes coverage.py data; the sysmon "
                "core would drop its per-test contexts)\n",
            )
        if step.pytest_plan is not None:
            step_env[PYTEST_PLAN_ENV] = str(
                write_pytest_plan(step.pytest_plan, run_dir / "plans", log_names[step.key])
            )
        request = StepRequest(
            key=step.key,
            stage=step.stage,
            name=step.name,
            command=step.command,
            cwd=step.cwd,
            root=root,
            env=step_env,
            log=run_dir / log_names[step.key],
            log_name=log_names[step.key],
            timeout=step.timeout,
            retries=step.retries,
            reports=[rp.written for rp in step.reports],
            clean_reports=step.clean_reports,
            grace=options.grace,
            display_command=step.display_command,
            resources={r: (n, plan.resources.get(r, n)) for r, n in step.resources.items()},
            services={name: loaded.config.services[name] for name in step.services},
            masker=masker,
        )
        # a step narrowed by a plan (selection, a shard) runs part of its tests: never cached
        job = _StepJob(
            step, request, executor, prepare, rules, caching if step.pytest_plan is None else None
        )
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

    slots = getattr(executor, "slots", None)
    scheduler = Scheduler(
        plan,
        make_job,
        workers=options.workers
        or (slots if isinstance(slots, int) else None)
        or os.cpu_count()
        or 1,
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
    # kill -9 gives no chance to clean up: a watchdog process does it then (one per process)
    outer_watchdog = process.WATCHDOG
    watchdog = start_watchdog(options.grace) if outer_watchdog is None else None
    if watchdog is not None:
        process.WATCHDOG = watchdog
    baseline = set(children_of(os.getpid())) if subreaper else set()
    with _signals(options.handle_signals, interrupt):
        if progress is not None:
            progress.attach(run_dir)
            progress.begin(plan)
        try:
            run.steps = scheduler.run()
        finally:
            try:
                services.stop_all()
                if subreaper:
                    reap_orphans(baseline, options.grace)
            finally:
                if watchdog is not None:
                    watchdog.stop()
                    process.WATCHDOG = outer_watchdog
                if subreaper:
                    stop_subreaper()
                if progress is not None:
                    progress.end()
                if options.executor is None:
                    executor.close()
                close = getattr(cache, "close", None)
                if close is not None:
                    close()
        # an interrupt while services stop still ends the run as interrupted
        run.interrupted = scheduler.signalled is not None
        run.finished_at = _iso_now()
        for s in run.steps:  # a command written with a token in it (docs/secrets.md)
            s.command = masker.mask_opt(s.command)
            s.reason = masker.mask_opt(s.reason)
        run.finalize()
    return outcome
