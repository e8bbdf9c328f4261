"""Background services: started once before the first step that needs them, stopped at the end.

A service runs in its own session like a step, its output in
``.testgate/runs/<id>/logs/services/<name>.log``. Readiness is probed over HTTP (2xx/3xx), TCP
(a connection is accepted) or a command (exit 0), every ``interval`` until ``timeout``. A service
that never gets ready fails the steps that need it, with the tail of its log as the reason.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.pipeline.process import (
    DEFAULT_KILL_GRACE,
    HURRY,
    ProcessHandle,
    spawn,
    terminate_trees,
)

if TYPE_CHECKING:
    from testgate.config.schema import ReadySpec, ServiceSpec

__all__ = ["ServiceManager", "log_tail"]

#: How long a ``stop`` command may take before its own tree is killed.
STOP_TIMEOUT = 10.0


def log_tail(path: Path, lines: int = 30) -> list[str]:
    """The last *lines* lines of a log file (reads only its end)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    return text.splitlines()[-lines:]


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: bool = False
    error: str | None = None
    handle: ProcessHandle | None = None
    order: int = 0


def _leader_running(pid: int) -> bool:
    """Whether our child *pid* still runs, without reaping it (its pid stays ours)."""
    try:
        res = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return res is None


class ServiceManager:
    """Starts services on demand (thread-safe) and stops every started one at the end."""

    def __init__(
        self,
        specs: Mapping[str, ServiceSpec],
        *,
        root: Path,
        logs: Path,
        env: Mapping[str, str],
        grace: float = DEFAULT_KILL_GRACE,
    ) -> None:
        self.specs = specs
        self.root = root
        self.logs = logs
        self.env = env
        self.grace = grace
        self._states = {name: _State() for name in specs}
        self._abort = threading.Event()
        self._counter = 0
        self._counter_lock = threading.Lock()

    def log_path(self, name: str) -> Path:
        return self.logs / "services" / f"{_safe(name)}.log"

    def ensure(self, names: Sequence[str]) -> str | None:
        """Start (once) and wait for each of *names*; the reason when one cannot be had."""
        for name in names:
            state = self._states[name]
            with state.lock:
                if not state.started:
                    state.started = True
                    with self._counter_lock:
                        self._counter += 1
                        state.order = self._counter
                    state.error = self._start(name, state)
            if state.error is not None:
                return state.error
        return None

    def abort(self) -> None:
        """Stop waiting for readiness (an interrupt is under way)."""
        self._abort.set()

    def _start(self, name: str, state: _State) -> str | None:
        spec = self.specs[name]
        log = self.log_path(name)
        cwd = _resolve(self.root, spec.cwd)
        env = {**self.env, **spec.env, "TESTGATE_SERVICE": name}
        try:
            state.handle = spawn(spec.start, cwd=cwd, env=env, log=log, grace=self.grace)
        except OSError as exc:
            return f"service '{name}' cannot start: {exc.strerror or exc}: {exc.filename or ''}"
        if spec.ready is None:
            return None
        return self._wait_ready(name, spec.ready, state.handle, cwd, env, log)

    def _wait_ready(
        self,
        name: str,
        ready: ReadySpec,
        handle: ProcessHandle,
        cwd: Path,
        env: Mapping[str, str],
        log: Path,
    ) -> str | None:
        deadline = time.monotonic() + ready.timeout
        what = ready.http or ready.tcp or "the ready command"
        last = "no probe answered yet"
        while True:
            if not _leader_running(handle.pid):
                code = handle.proc.wait()
                return self._failure(name, f"exited with code {code} before it was ready", log)
            remaining = deadline - time.monotonic()
            ok, last = self._probe(ready, cwd, env, log, max(0.2, min(remaining, 5.0)))
            if ok:
                return None
            if time.monotonic() >= deadline:
                return self._failure(
                    name,
                    f"did not become ready within {ready.timeout:g}s (probe {what}: {last})",
                    log,
                )
            if self._abort.wait(min(ready.interval, max(0.0, deadline - time.monotonic()))):
                return f"service '{name}' was not ready when the run was interrupted"

    def _failure(self, name: str, what: str, log: Path) -> str:
        tail = log_tail(log, 20)
        shown = os.path.relpath(log) if log.is_absolute() else str(log)
        text = f"service '{name}' {what}"
        if tail:
            text += f"\nlast lines of {shown}:\n" + "\n".join(f"  {line}" for line in tail)
        else:
            text += f" (its log {shown} is empty)"
        return text

    def _probe(
        self, ready: ReadySpec, cwd: Path, env: Mapping[str, str], log: Path, budget: float
    ) -> tuple[bool, str]:
        if ready.http is not None:
            # no proxy: a corporate proxy must not answer for a local service
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(ready.http, timeout=min(budget, 2.0)) as resp:
                    code = int(resp.status)
                return (200 <= code < 400), f"HTTP {code}"
            except urllib.error.HTTPError as exc:
                return False, f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                return False, str(reason)
        if ready.tcp is not None:
            host, _, port = ready.tcp.rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
                    return True, "connected"
            except (OSError, ValueError) as exc:
                return False, str(exc)
        assert ready.command is not None
        try:
            probe = spawn(ready.command, cwd=cwd, env=env, log=log, grace=0.2)
        except OSError as exc:
            return False, f"cannot run: {exc.strerror or exc}"
        code = probe.wait(budget)
        return code == 0, f"exit code {code}"

    def stop_all(self) -> None:
        """Stop every started service, last started first: its stop command, then its tree."""
        started = sorted(
            ((s.order, n, s) for n, s in self._states.items() if s.handle is not None),
            reverse=True,
        )
        for _, name, state in started:
            handle = state.handle
            assert handle is not None
            spec = self.specs[name]
            log = self.log_path(name)
            if spec.stop is not None and _leader_running(handle.pid):
                env = {**self.env, **spec.env, "TESTGATE_SERVICE": name}
                with contextlib.suppress(OSError):
                    stop = spawn(
                        spec.stop,
                        cwd=_resolve(self.root, spec.cwd),
                        env=env,
                        log=log,
                        grace=self.grace,
                        header="\n=== testgate: stop ===\n",
                    )
                    stop.wait(STOP_TIMEOUT)
                # give the service a moment to exit by itself before it is terminated
                deadline = time.monotonic() + self.grace
                while (
                    _leader_running(handle.pid)
                    and time.monotonic() < deadline
                    and not HURRY.is_set()
                ):
                    time.sleep(0.02)
            terminate_trees([handle.pid], self.grace)
            handle.proc.wait()
            state.handle = None


def _resolve(root: Path, path: str | None) -> Path:
    if not path:
        return root
    p = Path(path).expanduser()
    return p if p.is_absolute() else root / p


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "service"
