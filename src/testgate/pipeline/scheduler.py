"""Run a plan's steps on N workers as soon as their dependencies allow.

Among ready steps the one with the longest expected path to the end of the pipeline goes first
(its own expected duration plus the longest chain after it; durations come from the previous
run). Resources are counted semaphores a step holds while it runs. A failed stage skips the
stages that depend on it; ``--fail-fast`` and an interrupt cancel whatever has not finished.

One thread per running step blocks in ``waitid``; the scheduling thread blocks on a queue of
events (step done, signal). Nothing polls, so the cost per trivial step stays near the cost of
``fork``/``exec`` itself.
"""

from __future__ import annotations

import bisect
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from testgate.model import StepResult
from testgate.pipeline.plan import Plan, PlannedStep
from testgate.pipeline.process import DEFAULT_KILL_GRACE, HURRY

__all__ = ["Job", "Scheduler", "priorities"]

_FAILED = ("failed", "timed_out")


class Job(Protocol):
    """One step's execution, run in a worker thread, cancellable from the scheduler."""

    def run(self) -> StepResult: ...

    def cancel(self, reason: str) -> None:
        """Stop the step: nothing new starts, its running tree is killed (without blocking)."""
        ...


@dataclass(slots=True)
class _Event:
    kind: str  # "done" or "signal"
    key: str = ""
    result: StepResult | None = None
    signum: int = 0


def priorities(plan: Plan, expected: Mapping[str, float]) -> dict[str, float]:
    """Each step's expected duration plus the longest expected chain of steps after it.

    Steps without a known duration count as the mean of the known ones; with no durations at
    all every priority is 0 and the configuration order decides.
    """
    known = [expected[s.key] for s in plan.steps if s.key in expected]
    if not known:
        return {s.key: 0.0 for s in plan.steps}
    default = sum(known) / len(known)
    after: dict[str, list[str]] = {s.key: [] for s in plan.steps}
    for s in plan.steps:
        for d in s.deps:
            after[d].append(s.key)
    rank: dict[str, float] = {}

    def visit(key: str) -> float:
        if key in rank:
            return rank[key]
        own = expected.get(key, default)
        rank[key] = own + max((visit(k) for k in after[key]), default=0.0)
        return rank[key]

    for s in plan.steps:
        visit(s.key)
    return rank


class Scheduler:
    """Runs the steps of *plan*; :meth:`run` returns every step's result, in plan order."""

    def __init__(
        self,
        plan: Plan,
        make_job: Callable[[PlannedStep], Job],
        *,
        workers: int,
        fail_fast: bool = False,
        expected: Mapping[str, float] | None = None,
        grace: float = DEFAULT_KILL_GRACE,
        on_start: Callable[[PlannedStep], None] | None = None,
        on_finish: Callable[[PlannedStep, StepResult], None] | None = None,
        on_interrupt: Callable[[str], None] | None = None,
    ) -> None:
        self.plan = plan
        self.make_job = make_job
        self.workers = max(1, workers)
        self.fail_fast = fail_fast
        self.grace = grace
        self.on_start = on_start
        self.on_finish = on_finish
        self.on_interrupt = on_interrupt
        self.priority = priorities(plan, expected or {})
        self.events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self.interrupted: int | None = None
        self._steps = plan.by_key()
        self._results: dict[str, StepResult] = {}
        self._running: dict[str, Job] = {}
        self._ready: list[tuple[float, int, str]] = []
        self._waiting = {s.key: len(s.deps) for s in plan.steps}
        self._dependants: dict[str, list[str]] = {s.key: [] for s in plan.steps}
        for s in plan.steps:
            for d in s.deps:
                self._dependants[d].append(s.key)
        self._available = dict(plan.resources)
        self._failed_stages: set[str] = set()
        self._chain_blocked: set[str] = set()
        self._stop_reason: str | None = None
        self._signalled = False
        self._first_signal: int | None = None
        self._tasks: queue.SimpleQueue[tuple[PlannedStep, Job] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    # -- called from a signal handler: SimpleQueue.put is reentrant, Event.set is a flag
    def interrupt(self, signum: int) -> None:
        if self._signalled:
            HURRY.set()  # a second Ctrl-C: no more grace
        else:
            self._first_signal = signum
        self._signalled = True
        self.events.put(_Event("signal", signum=signum))

    @property
    def signalled(self) -> int | None:
        """The first interrupt received, even one that came after the last step finished."""
        return self.interrupted if self.interrupted is not None else self._first_signal

    def run(self) -> list[StepResult]:
        try:
            return self._run()
        finally:
            for _ in self._threads:
                self._tasks.put(None)

    def _run(self) -> list[StepResult]:
        for s in self.plan.steps:
            if not s.deps:
                self._make_ready(s.key)
        self._dispatch()
        while self._running:
            ev = self.events.get()
            if ev.kind == "signal":
                if self.interrupted is None:
                    self.interrupted = ev.signum
                    name = signal.Signals(ev.signum).name
                    if self.on_interrupt is not None:
                        self.on_interrupt(name)
                    self._stop(f"cancelled: interrupted ({name})")
                continue
            assert ev.result is not None
            del self._running[ev.key]
            step = self._steps[ev.key]
            for res, n in step.resources.items():
                self._available[res] += n
            self._finish(step, ev.result)
            if (
                self.fail_fast
                and ev.result.status in _FAILED
                and not step.allow_failure
                and self._stop_reason is None
            ):
                self._stop(f"cancelled: --fail-fast after '{step.key}' {ev.result.status}")
            self._dispatch()
        # a stop may leave steps that never became ready (their dependencies were cancelled)
        for s in self.plan.steps:
            if s.key not in self._results:
                self._record(s, self._cancelled(s))
        return [self._results[s.key] for s in self.plan.steps]

    # ------------------------------------------------------------------ internals
    def _make_ready(self, key: str) -> None:
        step = self._steps[key]
        if self._stop_reason is not None:
            self._finish(step, self._cancelled(step))
            return
        reason = self._skip_reason(step)
        if reason is not None:
            self._finish(
                step, StepResult(stage=step.stage, name=step.name, status="skipped", reason=reason)
            )
            return
        bisect.insort(self._ready, (-self.priority[key], step.index, key))

    def _skip_reason(self, step: PlannedStep) -> str | None:
        for dep in self.plan.stage_deps.get(step.stage, ()):
            if dep in self._failed_stages:
                return f"stage '{dep}' failed"
        if step.previous is not None:
            prev = self._results[step.previous]
            prev_step = self._steps[step.previous]
            if (prev.status in _FAILED and not prev_step.allow_failure) or (
                step.previous in self._chain_blocked
            ):
                self._chain_blocked.add(step.key)
                return f"previous step '{prev_step.name}' did not pass"
        return step.skip_reason

    def _cancelled(self, step: PlannedStep) -> StepResult:
        return StepResult(
            stage=step.stage, name=step.name, status="cancelled", reason=self._stop_reason
        )

    def _record(self, step: PlannedStep, result: StepResult) -> None:
        self._results[step.key] = result
        if result.status in _FAILED and not step.allow_failure:
            self._failed_stages.add(step.stage)
        if self.on_finish is not None:
            self.on_finish(step, result)

    def _finish(self, step: PlannedStep, result: StepResult) -> None:
        self._record(step, result)
        for k in self._dependants[step.key]:
            self._waiting[k] -= 1
            if self._waiting[k] == 0:
                self._make_ready(k)

    def _dispatch(self) -> None:
        if self._stop_reason is not None:
            while self._ready:
                step = self._steps[self._ready.pop(0)[2]]
                self._finish(step, self._cancelled(step))
            return
        i = 0
        while i < len(self._ready) and len(self._running) < self.workers:
            key = self._ready[i][2]
            step = self._steps[key]
            if any(self._available[r] < n for r, n in step.resources.items()):
                i += 1  # let a smaller step use the free worker meanwhile
                continue
            del self._ready[i]
            for r, n in step.resources.items():
                self._available[r] -= n
            self._start(step)

    def _start(self, step: PlannedStep) -> None:
        job = self.make_job(step)
        self._running[step.key] = job
        if self.on_start is not None:
            self.on_start(step)
        # a pool of at most N threads: starting a thread per step would cost the scheduling
        # thread half a millisecond each (Thread.start waits for the thread to come up)
        if len(self._threads) < len(self._running):
            t = threading.Thread(
                target=self._work, name=f"testgate-worker-{len(self._threads)}", daemon=True
            )
            self._threads.append(t)
            t.start()
        self._tasks.put((step, job))

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            step, job = task
            try:
                result = job.run()
            except Exception as exc:  # a bug must not hang the scheduler
                result = StepResult(
                    stage=step.stage,
                    name=step.name,
                    status="failed",
                    reason=f"internal error: {type(exc).__name__}: {exc}",
                )
            self.events.put(_Event("done", key=step.key, result=result))

    def _stop(self, reason: str) -> None:
        """Cancel everything that has not finished; running trees are killed all at once (each
        job kills its own in the background, so one grace covers them all)."""
        self._stop_reason = reason
        for job in list(self._running.values()):
            job.cancel(reason)
        self._dispatch()
