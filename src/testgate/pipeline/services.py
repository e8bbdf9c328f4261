"""Background services: started once before the first step that needs them, stopped at the end.

A service runs in its own session like a step, its output in
``.testgate/runs/<id>/logs/services/<name>.log``. Readiness is probed over HTTP (2xx/3xx), TCP
(a connection is accepted) or a command (exit 0), every ``interval`` until ``timeout``. A service
that never gets ready fails the steps that need it, with the tail of its log as the reason.

A service may be a container (``image: postgres:16``): it runs in the foreground under
``docker run --rm`` (or ``podman run --rm``), named ``testgate-<run>-<service>``, its ports
published on 127.0.0.1 unless an address is given, and its ``env`` passed by name so that no
value shows on a command line. It is removed (``rm -f``) when the run ends. Which runtime is
used is decided once per process: ``TESTGATE_CONTAINER_RUNTIME`` (``docker``, ``podman`` or a
path), else docker when its daemon answers, else podman. When a selected step needs a container
and no runtime is usable, :func:`require_container_runtime` refuses the run before anything
starts, naming the service, its ``file:line`` and what to install.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.errors import ConfigError
from testgate.masking import Masker
from testgate.pipeline.process import (
    DEFAULT_KILL_GRACE,
    HURRY,
    ProcessHandle,
    spawn,
    terminate_trees,
)

if TYPE_CHECKING:
    from testgate.config.schema import ReadySpec, ServiceSpec

__all__ = [
    "CONTAINER_RUNTIMES",
    "ContainerRuntime",
    "ServiceManager",
    "container_name",
    "container_run_argv",
    "container_stop_argv",
    "detect_container_runtime",
    "log_tail",
    "publish_arg",
    "require_container_runtime",
]

#: How long a ``stop`` command may take before its own tree is killed.
STOP_TIMEOUT = 10.0

#: The container runtimes testgate drives, in the order it tries them.
CONTAINER_RUNTIMES = ("docker", "podman")

#: How long asking a runtime whether it works may take.
_PROBE_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ContainerRuntime:
    """A usable container runtime: its kind (``docker`` or ``podman``) and executable."""

    kind: str
    path: str


def _probe_runtime(kind: str, path: str) -> str | None:
    """None when *kind* at *path* can run containers, else why not (its own words)."""
    # docker needs its daemon: `docker version` asks it; podman has none, `podman info` checks
    # that its storage and OCI runtime work
    argv = (
        [path, "version", "--format", "{{.Server.Version}}"]
        if kind == "docker"
        else [path, "info", "--format", "{{.Host.OCIRuntime.Name}}"]
    )
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return f"'{' '.join(argv[1:2])}' did not answer within {_PROBE_TIMEOUT:g}s"
    except OSError as exc:
        return exc.strerror or str(exc)
    if proc.returncode == 0:
        return None
    said = " ".join((proc.stderr or proc.stdout).split())
    return said[:300] or f"exit code {proc.returncode}"


def _kind_of(path: str) -> str:
    name = os.path.basename(path)
    return "podman" if "podman" in name else "docker"


@lru_cache(maxsize=8)
def _detect(path_var: str, forced: str, docker_host: str) -> ContainerRuntime | str:
    del docker_host  # part of the cache key only: another daemon is another answer
    if forced:
        exe = shutil.which(forced, path=path_var) or (forced if os.path.isfile(forced) else None)
        if exe is None:
            return f"TESTGATE_CONTAINER_RUNTIME={forced} is not an executable on PATH"
        problem = _probe_runtime(_kind_of(forced), exe)
        if problem is not None:
            return f"TESTGATE_CONTAINER_RUNTIME={forced} cannot run containers: {problem}"
        return ContainerRuntime(_kind_of(forced), exe)
    reasons: list[str] = []
    for kind in CONTAINER_RUNTIMES:
        exe = shutil.which(kind, path=path_var)
        if exe is None:
            continue
        problem = _probe_runtime(kind, exe)
        if problem is None:
            return ContainerRuntime(kind, exe)
        what = "its daemon does not answer" if kind == "docker" else "it does not work"
        reasons.append(f"{kind} is installed but {what} ({problem})")
    if not reasons:
        return (
            "neither docker nor podman is installed; install one (podman needs no daemon: "
            "'apt-get install podman'; or Docker Engine, with its daemon running), or give the "
            "service a 'start:' command instead of 'image:'"
        )
    hint = (
        "start the docker daemon (e.g. 'systemctl start docker'), set DOCKER_HOST, or install "
        "podman ('apt-get install podman')"
    )
    return "; ".join(reasons) + f"; {hint}"


def detect_container_runtime(env: Mapping[str, str] | None = None) -> ContainerRuntime | str:
    """The container runtime to use, or a sentence saying why none is usable and what to
    install. Decided once per process for the same PATH and settings."""
    e = os.environ if env is None else env
    return _detect(
        e.get("PATH", os.defpath),
        e.get("TESTGATE_CONTAINER_RUNTIME", "").strip(),
        e.get("DOCKER_HOST", ""),
    )


def require_container_runtime(
    specs: Mapping[str, ServiceSpec],
    needed: Iterable[str],
    where: Callable[[str], str],
    env: Mapping[str, str] | None = None,
) -> ContainerRuntime | None:
    """The runtime for the container services among *needed*; a :class:`ConfigError` (exit 2)
    naming each such service and its ``file:line`` (``where(name)``) when none is usable.
    None when no needed service is a container."""
    containers = [n for n in dict.fromkeys(needed) if n in specs and specs[n].image]
    if not containers:
        return None
    found = detect_container_runtime(env)
    if isinstance(found, ContainerRuntime):
        return found
    problems = [
        f"{where(n)}: service '{n}' runs the container image {specs[n].image}, and no "
        f"container runtime is usable: {found}"
        for n in containers
    ]
    raise ConfigError(problems[0], slug="container-runtime", problems=problems)


_UNSAFE_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")


def container_name(run_id: str, service: str) -> str:
    """``testgate-<run>-<service>``: unique per run, valid for docker and podman."""
    name = _UNSAFE_NAME.sub("-", f"testgate-{run_id}-{service}").strip("-.")
    return name.lower()[:120]


def publish_arg(port: str) -> str:
    """A ``ports:`` entry as ``-p`` takes it, bound to 127.0.0.1 unless an address is given:
    ``5432`` -> ``127.0.0.1:5432:5432``, ``15432:5432`` -> ``127.0.0.1:15432:5432``."""
    spec, slash, proto = port.partition("/")
    suffix = f"/{proto}" if slash else ""
    if spec.startswith("["):  # an IPv6 address: [::1]:5432:5432
        return spec + suffix
    parts = spec.split(":")
    if len(parts) == 1:
        return f"127.0.0.1:{parts[0]}:{parts[0]}{suffix}"
    if len(parts) == 2:
        return f"127.0.0.1:{parts[0]}:{parts[1]}{suffix}"
    return spec + suffix


def container_run_argv(runtime: str, spec: ServiceSpec, *, container: str) -> list[str]:
    """The command line that runs the service's image in the foreground until it is stopped.

    Environment variables are passed by name only (``-e NAME``): the runtime reads their values
    from its own environment, so that a password never shows in ``ps``.
    """
    assert spec.image is not None
    argv = [runtime, "run", "--rm", "--name", container]
    for port in spec.ports:
        argv += ["-p", publish_arg(port)]
    for key in spec.env:
        argv += ["-e", key]
    argv += ["--label", "org.testgate.service=1"]
    argv += list(spec.options)
    argv.append(spec.image)
    if spec.command is not None:
        if isinstance(spec.command, str):
            import shlex

            argv += shlex.split(spec.command)
        else:
            argv += list(spec.command)
    return argv


def container_stop_argv(runtime: str, container: str) -> list[str]:
    """Stops and removes the container, whatever state it is in."""
    return [runtime, "rm", "-f", container]


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
        masker: Masker | None = None,
    ) -> None:
        self.specs = specs
        self.root = root
        self.logs = logs
        self.env = env
        self.grace = grace
        #: masks secrets in the services' output before it reaches their logs
        self.masker = masker
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

    def _env(self, name: str) -> dict[str, str]:
        spec = self.specs[name]
        env = {**self.env, **spec.env, "TESTGATE_SERVICE": name}
        if spec.image:
            runtime = self._runtime()
            env["TESTGATE_SERVICE_CONTAINER"] = self._container(name)
            if isinstance(runtime, ContainerRuntime):
                env["TESTGATE_CONTAINER_RUNTIME"] = runtime.path
        return env

    def _runtime(self) -> ContainerRuntime | str:
        return detect_container_runtime(self.env)

    def _container(self, name: str) -> str:
        return container_name(self.env.get("TESTGATE_RUN_ID", str(os.getpid())), name)

    def _command(self, name: str) -> str | list[str] | None:
        """What to spawn for *name*; None when its container runtime is unusable."""
        spec = self.specs[name]
        if spec.image is None:
            return spec.start
        runtime = self._runtime()
        if not isinstance(runtime, ContainerRuntime):
            return None
        return container_run_argv(runtime.path, spec, container=self._container(name))

    def _start(self, name: str, state: _State) -> str | None:
        spec = self.specs[name]
        log = self.log_path(name)
        cwd = _resolve(self.root, spec.cwd)
        env = self._env(name)
        command = self._command(name)
        if command is None:
            return f"service '{name}' cannot start: {self._runtime()}"
        try:
            state.handle = spawn(
                command, cwd=cwd, env=env, log=log, grace=self.grace, masker=self.masker
            )
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
                handle.drain()  # its last words are in the log before the log is quoted
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
            probe = spawn(ready.command, cwd=cwd, env=env, log=log, grace=0.2, masker=self.masker)
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
            commands: list[str | list[str]] = []
            if spec.stop is not None and _leader_running(handle.pid):
                commands.append(spec.stop)
            runtime = self._runtime() if spec.image else None
            if isinstance(runtime, ContainerRuntime):
                # a container outlives a killed `docker run` client: remove it by name
                commands.append(container_stop_argv(runtime.path, self._container(name)))
            for command in commands:
                with contextlib.suppress(OSError):
                    stop = spawn(
                        command,
                        cwd=_resolve(self.root, spec.cwd),
                        env=self._env(name),
                        log=log,
                        grace=self.grace,
                        header="\n=== testgate: stop ===\n",
                        masker=self.masker,
                    )
                    stop.wait(STOP_TIMEOUT)
            if commands:
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
