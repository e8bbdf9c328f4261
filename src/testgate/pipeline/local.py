"""The local executor: each step's process tree runs on this machine, in its own session.

See :mod:`testgate.pipeline.process` for how a tree is started and killed so that nothing is
left behind, and :mod:`testgate.pipeline.executor` for the interface.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from testgate.model import StepResult, StepStatus
from testgate.pipeline.executor import (
    StepRequest,
    StepRun,
    clean_reports,
    collect_reports,
    snapshot_reports,
)
from testgate.pipeline.process import ProcessHandle, spawn, terminate_trees

__all__ = ["LocalExecutor", "LocalStepHandle"]


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _secs(value: float | None) -> str:
    return "?" if value is None else f"{value:g}s"


class LocalStepHandle:
    """One step on this machine: its attempts run in the thread that calls :meth:`wait`."""

    def __init__(self, request: StepRequest) -> None:
        self.request = request
        self._lock = threading.Lock()
        self._cancel_reason: str | None = None
        self._handle: ProcessHandle | None = None

    def cancel(self, reason: str) -> None:
        with self._lock:
            if self._cancel_reason is None:
                self._cancel_reason = reason
            handle = self._handle
        if handle is not None and handle.claim_kill():
            threading.Thread(
                target=_kill, args=(handle,), name="testgate-kill", daemon=True
            ).start()

    def cancelled(self) -> str | None:
        with self._lock:
            return self._cancel_reason

    def _result(self, status: StepStatus, **kw: object) -> StepResult:
        req = self.request
        return StepResult(
            stage=req.stage,
            name=req.name,
            status=status,
            log=req.log_name,
            command=req.display_command,
            **kw,  # type: ignore[arg-type]
        )

    def wait(self) -> StepRun:
        req = self.request
        started_at = _now_iso()
        since = time.time()
        t0 = time.monotonic()
        if req.clean_reports:
            clean_reports(req.reports, req.root)
        before = snapshot_reports(req.reports, req.root)
        attempts = 0
        code: int | None = None
        status: StepStatus = "failed"
        reason: str | None = None
        total = req.retries + 1
        while attempts < total:
            header = None
            if attempts:
                header = f"\n=== testgate: attempt {attempts + 1} of {total} ===\n"
            with self._lock:
                if self._cancel_reason is not None:
                    break
                try:
                    handle = spawn(
                        req.command,
                        cwd=req.cwd,
                        env=req.env,
                        log=req.log,
                        grace=req.grace,
                        header=header,
                    )
                except OSError as exc:
                    what = exc.strerror or str(exc)
                    target = exc.filename or req.display_command
                    reason = f"cannot start: {what}: {target}"
                    self._note(f"testgate: {reason}\n")
                    attempts += 1
                    code = 127
                    break
                self._handle = handle
            attempts += 1
            code = handle.wait(req.timeout)
            with self._lock:
                self._handle = None
            if handle.cancelled:
                break
            if handle.timed_out:
                status, reason = "timed_out", f"timed out after {_secs(req.timeout)}"
                self._note(f"\ntestgate: {reason}; its process tree was killed\n")
            elif code == 0:
                status, reason = "passed", None
                break
            else:
                status, reason = "failed", None
        duration = round(time.monotonic() - t0, 3)
        cancelled = self.cancelled()
        if cancelled is not None and status != "passed":
            result = self._result(
                "cancelled",
                reason=cancelled,
                exit_code=code,
                attempts=attempts,
                duration_s=duration,
                started_at=started_at,
            )
            return StepRun(result)
        result = self._result(
            status,
            reason=reason,
            exit_code=code,
            attempts=attempts,
            duration_s=duration,
            started_at=started_at,
        )
        if not attempts or (code == 127 and reason and reason.startswith("cannot start")):
            return StepRun(result)
        fresh, missing, stale = collect_reports(req.reports, req.root, since=since, before=before)
        return StepRun(result, fresh, missing, stale)

    def _note(self, text: str) -> None:
        try:
            self.request.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.request.log, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError:
            pass


def _kill(handle: ProcessHandle) -> None:
    try:
        terminate_trees([handle.pid], handle.grace)
    finally:
        handle.kill_done()


class LocalExecutor:
    """Runs every step as a process tree on this machine (the default executor)."""

    name = "local"

    def start(self, request: StepRequest) -> LocalStepHandle:
        return LocalStepHandle(request)

    def close(self) -> None:
        return None
