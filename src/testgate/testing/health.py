"""Health of the services and connection pools a test suite depends on.

.. code-block:: python

    monitor = HealthMonitor(interval=30, retries=2)
    monitor.add_service("api", lambda: httpx.get("http://127.0.0.1:8000/health").raise_for_status())
    monitor.add_pool("db", engine)          # a SQLAlchemy engine: pool events + SELECT 1
    monitor.start()                          # periodic checks in a background thread
    ...
    monitor.stop()

A check passes when it returns anything but ``False`` and raises nothing; a failing check is
retried (with tenacity: ``retries`` times, exponential backoff) before it counts. A target is
``healthy`` after a passing check, ``degraded`` after fewer than ``unhealthy_threshold`` failed
checks in a row, ``unhealthy`` from then on. ``on_change(name, old, new)`` is told of every
change; :attr:`HealthMonitor.registry` holds Prometheus gauges
(``testgate_health_status{target=...}`` 1/0.5/0, ``testgate_health_check_seconds``,
``testgate_pool_connections{target, state}``) for ``prometheus_client.generate_latest``.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["HealthMonitor", "HealthState", "TargetHealth"]


class HealthState(str, enum.Enum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


_LEVEL = {
    HealthState.HEALTHY: 1.0,
    HealthState.DEGRADED: 0.5,
    HealthState.UNHEALTHY: 0.0,
    HealthState.UNKNOWN: -1.0,
}


@dataclass(slots=True)
class TargetHealth:
    """One service or pool: its check and what the checks said."""

    name: str
    check: Callable[[], Any]
    kind: str = "service"
    state: HealthState = HealthState.UNKNOWN
    consecutive_failures: int = 0
    last_error: str | None = None
    last_check_s: float | None = None
    checks: int = 0
    #: pool counters from SQLAlchemy's pool events (pools only)
    pool: dict[str, int] = field(default_factory=dict)


class HealthMonitor:
    """See the module docstring."""

    def __init__(
        self,
        *,
        interval: float = 30.0,
        retries: int = 0,
        backoff: float = 0.1,
        unhealthy_threshold: int = 3,
        on_change: Callable[[str, HealthState, HealthState], None] | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        if unhealthy_threshold < 1:
            raise ValueError(f"unhealthy_threshold must be at least 1, got {unhealthy_threshold}")
        self.interval = interval
        self.retries = retries
        self.backoff = backoff
        self.unhealthy_threshold = unhealthy_threshold
        self.on_change = on_change
        self.targets: dict[str, TargetHealth] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[tuple[Any, str, Callable[..., None]]] = []
        self.registry = registry or CollectorRegistry()
        self._status = Gauge(
            "testgate_health_status",
            "Health of a service or pool: 1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown.",
            ["target", "kind"],
            registry=self.registry,
        )
        self._seconds = Gauge(
            "testgate_health_check_seconds",
            "Duration of the last health check.",
            ["target"],
            registry=self.registry,
        )
        self._failed = Counter(
            "testgate_health_check_failures",
            "Failed health checks (after retries).",
            ["target"],
            registry=self.registry,
        )
        self._pool_gauge = Gauge(
            "testgate_pool_connections",
            "Connections of a SQLAlchemy pool by state (checked_out, checked_in, invalidated).",
            ["target", "state"],
            registry=self.registry,
        )

    # ------------------------------------------------------------------ targets

    def add_service(self, name: str, check: Callable[[], Any]) -> TargetHealth:
        """Watch a service: *check* raises or returns False when it is down."""
        return self._add(TargetHealth(name, check, "service"))

    def add_pool(self, name: str, engine: Any) -> TargetHealth:
        """Watch a SQLAlchemy engine's pool: its events are counted, and each check runs
        ``SELECT 1`` on a connection from it."""
        from sqlalchemy import event, text

        def check() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        target = self._add(TargetHealth(name, check, "pool"))
        target.pool = {"connects": 0, "checked_out": 0, "invalidated": 0, "closed": 0}

        def bump(key: str, delta: int = 1) -> Callable[..., None]:
            def listener(*_args: Any) -> None:
                with self._lock:
                    target.pool[key] = target.pool.get(key, 0) + delta
                self._publish_pool(target)

            return listener

        for ev, fn in (
            ("connect", bump("connects")),
            ("checkout", bump("checked_out")),
            ("checkin", bump("checked_out", -1)),
            ("invalidate", bump("invalidated")),
            ("close", bump("closed")),
        ):
            event.listen(engine, ev, fn)
            self._listeners.append((engine, ev, fn))
        return target

    def _add(self, target: TargetHealth) -> TargetHealth:
        with self._lock:
            if target.name in self.targets:
                raise ValueError(f"a target named {target.name!r} is already monitored")
            self.targets[target.name] = target
        self._status.labels(target.name, target.kind).set(_LEVEL[target.state])
        return target

    def _publish_pool(self, target: TargetHealth) -> None:
        for key in ("checked_out", "invalidated", "connects"):
            self._pool_gauge.labels(target.name, key).set(target.pool.get(key, 0))

    # ------------------------------------------------------------------ checking

    def _run_check(self, target: TargetHealth) -> str | None:
        """None when the check passes (after its retries), else why it failed."""
        from tenacity import Retrying, stop_after_attempt, wait_exponential

        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.retries + 1),
                wait=wait_exponential(multiplier=self.backoff, max=max(self.backoff, 5.0)),
                reraise=True,
            ):
                with attempt:
                    if target.check() is False:
                        raise RuntimeError("the check returned False")
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None

    def check_now(self, name: str | None = None) -> dict[str, HealthState]:
        """Check every target (or one) now; returns the states."""
        names = [name] if name is not None else list(self.targets)
        out: dict[str, HealthState] = {}
        for n in names:
            target = self.targets[n]
            t0 = time.perf_counter()
            error = self._run_check(target)
            elapsed = time.perf_counter() - t0
            with self._lock:
                old = target.state
                target.checks += 1
                target.last_check_s = elapsed
                target.last_error = error
                if error is None:
                    target.consecutive_failures = 0
                    new = HealthState.HEALTHY
                else:
                    target.consecutive_failures += 1
                    new = (
                        HealthState.UNHEALTHY
                        if target.consecutive_failures >= self.unhealthy_threshold
                        else HealthState.DEGRADED
                    )
                target.state = new
            self._status.labels(target.name, target.kind).set(_LEVEL[new])
            self._seconds.labels(target.name).set(elapsed)
            if error is not None:
                self._failed.labels(target.name).inc()
            if old is not new and self.on_change is not None:
                self.on_change(target.name, old, new)
            out[n] = new
        return out

    def states(self) -> dict[str, HealthState]:
        with self._lock:
            return {n: t.state for n, t in self.targets.items()}

    # ------------------------------------------------------------------ background

    def start(self) -> None:
        """Check every ``interval`` seconds in a daemon thread (the first check at once)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self.check_now()
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=loop, name="testgate-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background checks and the pool listeners."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
            self._thread = None
        from sqlalchemy import event

        for target, name, fn in self._listeners:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        self._listeners.clear()

    def __enter__(self) -> HealthMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
