"""The Dask executor: each step is a Dask task that runs the step's process tree on a worker.

``testgate run --executor dask-local:N`` starts a ``LocalCluster`` of N single-threaded worker
processes on this machine; ``--executor tcp://HOST:PORT`` (or ``executor:`` in testgate.yaml)
uses a running ``dask scheduler`` and its workers. The workers need testgate installed (the
same version) and the repository checked out at the same path as here, or at
``TESTGATE_WORKER_ROOT`` in the worker's environment.

On the worker, a task runs the step exactly as the local executor does
(:class:`~testgate.pipeline.local.LocalStepHandle`): in its own session, in a subprocess (a
crash of the step cannot take the worker down), with its timeout, its retries and its whole
tree killed on timeout or cancel. Around it:

* **logs** stream back while the step runs (``Worker.log_event`` on a topic per step, which the
  client appends to the step's log here); the complete log comes back with the result and
  replaces the streamed copy, so nothing is lost when an event is;
* **reports** the step wrote are read on the worker (fresh, missing and stale exactly as
  locally) and shipped back as bytes to the same paths here, so the run, gates and history
  are those of a local run;
* **cancel** sets a Dask ``Event`` the task watches: the worker kills the step's tree, and a
  step still queued never starts;
* **resources** (``resources:``) are Dask ``Semaphore`` leases named after the resource,
  acquired before the task is submitted, so two runs sharing one cluster share the capacity;
* **services** a step needs are started on the worker that runs it, just before its command,
  and stopped after it; a Dask ``Lock`` per service and host keeps two steps from starting one
  service (and its port) twice on one machine at the same time.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate.model import StepResult
from testgate.pipeline.executor import StepRequest, StepRun

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

    from testgate.pipeline.runner import Progress

__all__ = ["DaskExecutor", "DaskStepHandle", "run_on_worker"]

#: the plan file a pytest step reads; shipped to the worker and its result shipped back
_PLAN_ENV = "TESTGATE_PYTEST_PLAN"
#: a log longer than this comes back as its tail (the streamed copy has the rest)
_MAX_LOG_BYTES = 16 * 1024 * 1024
_STREAM_EVERY_S = 0.2


# ------------------------------------------------------------------------------ the worker


def _map_path(path: str, client_root: str, worker_root: Path) -> Path:
    p = Path(path)
    try:
        return worker_root / p.relative_to(client_root)
    except ValueError:
        return p


@contextlib.contextmanager
def _streaming(log: Path, topic: str) -> Iterator[None]:
    """Send what the step appends to *log* to the client, every few hundred milliseconds."""
    from distributed import get_worker

    worker = get_worker()
    done = threading.Event()

    def pump() -> None:
        offset = 0
        while True:
            finished = done.wait(_STREAM_EVERY_S)
            try:
                with open(log, "rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read(1024 * 1024)
            except OSError:
                chunk = b""
            if chunk:
                worker.log_event(topic, {"offset": offset, "data": chunk})
                offset += len(chunk)
                continue
            if finished:
                return

    t = threading.Thread(target=pump, name="testgate-log-stream", daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join(timeout=5)


@contextlib.contextmanager
def _watch_cancel(name: str, on_cancel: Any) -> Iterator[Any]:
    """Call *on_cancel(reason)* when the client sets the cancel event *name*."""
    from distributed import Event, Variable, get_client

    client = get_client()
    event = Event(name, client=client)
    reason_var = Variable(f"{name}:reason", client=client)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                if event.wait(timeout=0.5):
                    try:
                        reason = str(reason_var.get(timeout=1))
                    except Exception:  # the reason is a nicety; the kill is not
                        reason = "cancelled"
                    on_cancel(reason)
                    return
            except Exception:
                if done.wait(0.5):
                    return

    t = threading.Thread(target=watch, name="testgate-cancel-watch", daemon=True)
    t.start()
    try:
        yield event
    finally:
        done.set()
        t.join(timeout=5)


@contextlib.contextmanager
def _services(
    specs: Mapping[str, Any], root: Path, logs: Path, env: Mapping[str, str]
) -> Iterator[str | None]:
    """Start the step's services here (one at a time per host and service); yields the
    reason they could not be had, or None."""
    if not specs:
        yield None
        return
    from distributed import Lock

    from testgate.pipeline.services import ServiceManager

    host = socket.gethostname()
    locks = [Lock(f"testgate:service:{name}@{host}") for name in sorted(specs)]
    for lock in locks:
        lock.acquire()
    manager = ServiceManager(dict(specs), root=root, logs=logs, env=env)
    try:
        yield manager.ensure(sorted(specs))
    finally:
        manager.stop_all()
        for lock in reversed(locks):
            with contextlib.suppress(Exception):
                lock.release()


def _tail_bytes(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size <= limit:
                fh.seek(0)
                return fh.read()
            fh.seek(size - limit)
            note = f"[testgate: the first {size - limit} bytes of this log stayed on the worker]\n"
            return note.encode() + fh.read()
    except OSError:
        return b""


def run_on_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """The Dask task of one step: run it here and return its result, log and reports."""
    from distributed import get_worker

    from testgate.pipeline.local import LocalStepHandle

    worker = get_worker()
    client_root = str(payload["root"])
    root = Path(os.environ.get("TESTGATE_WORKER_ROOT") or client_root)
    tmp = Path(tempfile.mkdtemp(prefix="testgate-step-"))
    log = tmp / "step.log"
    log.write_text(
        f"testgate: {payload['key']} runs on Dask worker {worker.address} "
        f"({socket.gethostname()})\n",
        encoding="utf-8",
    )
    env = dict(payload["env"])
    shipped = payload.get("files") or {}
    result_back: tuple[Path, str] | None = None
    if _PLAN_ENV in shipped:
        import json

        plan = json.loads(shipped[_PLAN_ENV])
        client_result = plan.get("result")
        local_result = tmp / "plan.result.json"
        plan["result"] = str(local_result)
        plan_path = tmp / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        env[_PLAN_ENV] = str(plan_path)
        if client_result:
            result_back = (local_result, str(client_result))
    request = StepRequest(
        key=payload["key"],
        stage=payload["stage"],
        name=payload["name"],
        command=payload["command"],
        cwd=_map_path(payload["cwd"], client_root, root),
        root=root,
        env=env,
        log=log,
        log_name=payload["log_name"],
        timeout=payload["timeout"],
        retries=payload["retries"],
        reports=payload["reports"],
        clean_reports=payload["clean_reports"],
        grace=payload["grace"],
        display_command=payload["display_command"],
        masker=payload.get("masker"),
    )
    handle = LocalStepHandle(request)
    try:
        with (
            _watch_cancel(payload["cancel"], handle.cancel) as event,
            _streaming(log, payload["topic"]),
        ):
            if event.is_set():
                handle.cancel("cancelled before it started")
            with _services(payload["services"], root, tmp / "logs", env) as problem:
                if problem is not None:
                    with open(log, "a", encoding="utf-8") as fh:
                        fh.write(f"testgate: step not started: {problem}\n")
                    failed = StepResult(
                        stage=request.stage,
                        name=request.name,
                        status="failed",
                        reason=problem.splitlines()[0],
                        log=request.log_name,
                        command=request.display_command,
                    )
                    step_run = StepRun(failed)
                else:
                    step_run = handle.wait()
        reports: dict[str, bytes] = {}
        for path in step_run.reports:
            reports[path.relative_to(root).as_posix()] = path.read_bytes()
        extra: dict[str, bytes] = {}
        if result_back is not None and result_back[0].is_file():
            extra[result_back[1]] = result_back[0].read_bytes()
        return {
            "result": step_run.result.to_dict(),
            "reports": reports,
            "missing": list(step_run.missing),
            "stale": [_rel_to(p, root) for p in step_run.stale],
            "log": _tail_bytes(log, _MAX_LOG_BYTES),
            "extra": extra,
            "worker": worker.address,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rel_to(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------ the client


class DaskStepHandle:
    """One step submitted to the cluster; :meth:`wait` blocks in the run's worker thread."""

    def __init__(self, executor: DaskExecutor, request: StepRequest) -> None:
        self.executor = executor
        self.request = request
        self.token = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._cancel_reason: str | None = None
        self._submitted = False

    @property
    def _event_name(self) -> str:
        return f"testgate:cancel:{self.token}"

    def cancel(self, reason: str) -> None:
        with self._lock:
            if self._cancel_reason is not None:
                return
            self._cancel_reason = reason
            submitted = self._submitted
        if submitted:
            threading.Thread(
                target=self._signal_cancel, args=(reason,), name="testgate-dask-cancel", daemon=True
            ).start()

    def _signal_cancel(self, reason: str) -> None:
        from distributed import Event, Variable

        client = self.executor.client
        with contextlib.suppress(Exception):
            Variable(f"{self._event_name}:reason", client=client).set(reason)
            Event(self._event_name, client=client).set()

    def _cancelled_result(self, reason: str) -> StepRun:
        req = self.request
        return StepRun(
            StepResult(
                stage=req.stage,
                name=req.name,
                status="cancelled",
                reason=reason,
                log=req.log_name,
                command=req.display_command,
            )
        )

    def _payload(self, topic: str) -> dict[str, Any]:
        req = self.request
        files: dict[str, str] = {}
        plan = req.env.get(_PLAN_ENV)
        if plan:
            with contextlib.suppress(OSError):
                files[_PLAN_ENV] = Path(plan).read_text(encoding="utf-8")
        return {
            "key": req.key,
            "stage": req.stage,
            "name": req.name,
            "command": req.command,
            "cwd": str(req.cwd),
            "root": str(req.root),
            "env": dict(req.env),
            "log_name": req.log_name,
            "timeout": req.timeout,
            "retries": req.retries,
            "reports": list(req.reports),
            "clean_reports": req.clean_reports,
            "grace": req.grace,
            "display_command": req.display_command,
            "masker": req.masker,
            "services": dict(req.services),
            "files": files,
            "cancel": self._event_name,
            "topic": topic,
        }

    def wait(self) -> StepRun:
        req = self.request
        client = self.executor.client
        req.log.parent.mkdir(parents=True, exist_ok=True)
        started_at = time.time()
        with self.executor.leases(req.resources, self) as ok:
            if not ok:
                return self._cancelled_result(self._cancel_reason or "cancelled")
            topic = f"testgate-log-{self.token}"
            received = _LogSink(req.log)
            client.subscribe_topic(topic, received)
            try:
                with self._lock:
                    if self._cancel_reason is not None:
                        return self._cancelled_result(self._cancel_reason)
                    future = client.submit(
                        run_on_worker,
                        self._payload(topic),
                        key=f"testgate-step-{_safe_key(req.key)}-{self.token}",
                        pure=False,
                    )
                    self._submitted = True
                try:
                    out = future.result()
                except Exception as exc:  # the worker died, the scheduler went away...
                    return self._lost(exc, started_at)
            finally:
                with contextlib.suppress(Exception):
                    client.unsubscribe_topic(topic)
                received.close()
        return self._finish(out)

    def _lost(self, exc: BaseException, started_at: float) -> StepRun:
        req = self.request
        what = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        text = f"\ntestgate: the Dask task of this step failed: {what}\n"
        with contextlib.suppress(OSError), open(req.log, "a", encoding="utf-8") as fh:
            fh.write(text)
        if self._cancel_reason is not None:
            return self._cancelled_result(self._cancel_reason)
        return StepRun(
            StepResult(
                stage=req.stage,
                name=req.name,
                status="failed",
                reason=f"lost on the Dask cluster ({what.splitlines()[0][:200]})",
                log=req.log_name,
                command=req.display_command,
                attempts=1,
                duration_s=round(time.time() - started_at, 3),
            )
        )

    def _finish(self, out: dict[str, Any]) -> StepRun:
        req = self.request
        # the complete log replaces the streamed copy
        tmp = req.log.with_name(f".{req.log.name}.{self.token}.tmp")
        tmp.write_bytes(out["log"])
        os.replace(tmp, req.log)
        result = StepResult.from_dict(out["result"])
        result.log = req.log_name
        reports: list[Path] = []
        for rel, data in sorted(out["reports"].items()):
            target = req.root / rel
            _write_if_changed(target, data)
            reports.append(target)
        for client_path, data in out["extra"].items():
            _write_if_changed(Path(client_path), data)
        stale = [req.root / p for p in out["stale"]]
        return StepRun(result, reports, list(out["missing"]), stale)


def _safe_key(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:80]


def _write_if_changed(target: Path, data: bytes) -> None:
    """Write shipped bytes here, unless the file already holds them (a worker on this
    machine wrote it in place)."""
    with contextlib.suppress(OSError):
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


class _LogSink:
    """Appends streamed log chunks, in order, to the step's log here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lock = threading.Lock()
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close()

    def __call__(self, event: Any) -> None:
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        if not isinstance(msg, dict):
            return
        with self.lock:
            if self.fh.closed or msg.get("offset") != self.offset:
                return  # out of order or late: the final log covers it
            data = msg.get("data") or b""
            self.fh.write(data)
            self.fh.flush()
            self.offset += len(data)

    def close(self) -> None:
        with self.lock:
            self.fh.close()


class DaskExecutor:
    """Runs steps as tasks on a Dask cluster (see the module's docstring)."""

    runs_services = True

    def __init__(
        self,
        client: Client,
        *,
        cluster: LocalCluster | None = None,
        name: str = "dask",
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.name = name
        self.progress = progress

    @classmethod
    def local(cls, workers: int, *, progress: Progress | None = None) -> DaskExecutor:
        """A ``LocalCluster`` of *workers* single-threaded worker processes on this machine."""
        import logging

        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        return cls(client, cluster=cluster, name=f"dask-local:{workers}", progress=progress)

    @classmethod
    def connect(
        cls, address: str, *, progress: Progress | None = None, timeout: float = 10
    ) -> DaskExecutor:
        """A client of the scheduler at *address*."""
        from distributed import Client

        from testgate.errors import UsageError

        try:
            client = Client(address, timeout=timeout)
        except OSError as exc:
            raise UsageError(
                f"executor {address}: cannot reach the Dask scheduler ({exc})", slug="executor"
            ) from None
        return cls(client, name=f"dask {address}", progress=progress)

    @property
    def slots(self) -> int:
        """Threads across the cluster's workers: how many steps can run at once."""
        info = self.client.scheduler_info()
        workers = info.get("workers", {}) if isinstance(info, dict) else {}
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def start(self, request: StepRequest) -> DaskStepHandle:
        return DaskStepHandle(self, request)

    @contextlib.contextmanager
    def leases(
        self, needs: Mapping[str, tuple[int, int]], handle: DaskStepHandle
    ) -> Iterator[bool]:
        """Hold the step's resources cluster-wide (all or none, so that two runs each
        holding a part cannot wait on each other forever); yields False when cancelled."""
        if not needs:
            yield True
            return
        from distributed import Semaphore

        sems = {
            name: Semaphore(max_leases=cap, name=f"testgate:resource:{name}")
            for name, (_n, cap) in sorted(needs.items())
        }
        held: list[Semaphore] = []
        try:
            while True:
                if handle._cancel_reason is not None:
                    yield False
                    return
                for name, (n, _cap) in sorted(needs.items()):
                    for _ in range(n):
                        if not sems[name].acquire(timeout=1):
                            break
                        held.append(sems[name])
                    else:
                        continue
                    break
                else:
                    break
                for s in held:
                    s.release()
                held.clear()
                time.sleep(random.uniform(0.05, 0.5))
            yield True
        finally:
            for s in held:
                with contextlib.suppress(Exception):
                    s.release()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
