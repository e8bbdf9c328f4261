"""The toolkit for users' tests: run_test_suite, the circuit breaker under concurrent calls,
ports allocated by parallel processes, and the health monitor on a real PostgreSQL pool."""

from __future__ import annotations

import io
import multiprocessing
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import generate_latest

from testgate.testing import (
    CallTimeoutError,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    HealthMonitor,
    HealthState,
    PortAllocator,
    allocate_port,
    release_port,
    run_test_suite,
)


def test_run_test_suite_counts_and_keeps_going() -> None:
    async def async_ok() -> None:
        return None

    def boom() -> None:
        raise ValueError("SQL injection vulnerability detected")

    out = io.StringIO()
    result = run_test_suite(
        "Security Tests", {"sqli": boom, "xss": lambda: None, "async": async_ok}, out=out
    )
    assert (result.passed, result.failed) == (2, 1), [f.trace for f in result.failures]
    assert str(result.failures[0]) == "sqli: ValueError: SQL injection vulnerability detected"
    assert out.getvalue().splitlines()[-1] == "Security Tests: 2 passed, 1 failed"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = FakeClock()
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        "db",
        failure_threshold=2,
        reset_timeout=10,
        clock=clock,
        on_state_change=lambda b, old, new: changes.append((old.value, new.value)),
    )

    @breaker
    def flaky(ok: bool) -> str:
        if not ok:
            raise ConnectionError("refused")
        return "fine"

    for _ in range(2):
        with pytest.raises(ConnectionError):
            flaky(False)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        flaky(True)  # not even called
    clock.now = 10.0
    assert breaker.state is CircuitState.HALF_OPEN
    with pytest.raises(ConnectionError):
        flaky(False)  # the trial fails: open again
    assert breaker.state is CircuitState.OPEN
    clock.now = 20.0
    assert flaky(True) == "fine"
    assert breaker.state is CircuitState.CLOSED
    assert changes == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    with breaker:  # as a context manager
        pass
    with pytest.raises(KeyError), breaker:
        raise KeyError("x")
    assert breaker.failure_count == 1


def test_breaker_call_timeout_counts_as_failure() -> None:
    breaker = CircuitBreaker("slow", failure_threshold=1, reset_timeout=60, call_timeout=0.05)
    gate = threading.Event()
    with pytest.raises(CallTimeoutError):
        breaker.call(gate.wait, 5)
    gate.set()
    assert breaker.state is CircuitState.OPEN
    breaker.close()


def test_breaker_under_concurrent_calls_admits_one_trial() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", failure_threshold=5, reset_timeout=1, clock=clock)
    calls = 0
    count_lock = threading.Lock()
    release = threading.Event()

    def failing() -> None:
        nonlocal calls
        with count_lock:
            calls += 1
        raise ConnectionError("down")

    def slow_ok() -> None:
        release.wait(5)

    errors: list[type[BaseException]] = []

    def worker(fn: object) -> None:
        try:
            breaker.call(fn)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(type(exc))

    threads = [threading.Thread(target=worker, args=(failing,)) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # exactly failure_threshold calls got through before it opened; the rest were rejected
    assert calls == 5
    assert errors.count(ConnectionError) == 5
    assert errors.count(CircuitOpenError) == 35
    assert breaker.state is CircuitState.OPEN
    clock.now = 2.0
    errors.clear()
    trial = threading.Thread(target=worker, args=(slow_ok,))
    trial.start()
    time.sleep(0.05)
    others = [threading.Thread(target=worker, args=(slow_ok,)) for _ in range(10)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    release.set()
    trial.join()
    assert errors == [CircuitOpenError] * 10  # only the one trial call ran while half-open
    assert breaker.state is CircuitState.CLOSED


def _grab(lock_dir: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    ports = [allocate_port(lock_dir=Path(lock_dir)) for _ in range(n)]
    queue.put(ports)
    time.sleep(0.5)  # hold the leases while the others allocate


def test_ports_from_parallel_processes_never_clash(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_grab, args=(str(tmp_path), 10, queue)) for _ in range(6)]
    for p in procs:
        p.start()
    got = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    ports = [port for batch in got for port in batch]
    assert len(ports) == 60
    assert len(set(ports)) == 60


def test_port_allocator_releases(tmp_path: Path) -> None:
    with PortAllocator(lock_dir=tmp_path) as alloc:
        a, b = alloc.allocate(), alloc.allocate()
        assert a != b
    assert (tmp_path / "leases.json").read_text() == "{}"
    port = allocate_port(lock_dir=tmp_path)
    release_port(port, lock_dir=tmp_path)


def test_health_monitor_on_a_real_postgresql_pool(postgres_url: str) -> None:
    engine = sa.create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), pool_size=2
    )
    dead = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test", pool_pre_ping=False)
    changes: list[tuple[str, str, str]] = []
    monitor = HealthMonitor(
        interval=0.1,
        unhealthy_threshold=2,
        retries=1,
        backoff=0.01,
        on_change=lambda n, old, new: changes.append((n, old.value, new.value)),
    )
    monitor.add_pool("db", engine)
    monitor.add_pool("db-down", dead)
    calls: list[int] = []
    monitor.add_service("api", lambda: calls.append(1))
    try:
        with engine.connect() as conn:  # a connection checked out by the code under test
            conn.execute(sa.text("SELECT 1"))
            assert monitor.targets["db"].pool["checked_out"] == 1
        assert monitor.targets["db"].pool["checked_out"] == 0
        monitor.start()
        deadline = time.monotonic() + 20
        while monitor.states().get("db-down") is not HealthState.UNHEALTHY:
            assert time.monotonic() < deadline, monitor.states()
            time.sleep(0.05)
        assert monitor.states()["db"] is HealthState.HEALTHY
        assert monitor.states()["api"] is HealthState.HEALTHY
        assert ("db-down", "unknown", "degraded") in changes
        assert ("db-down", "degraded", "unhealthy") in changes
        assert "Connection refused" in (monitor.targets["db-down"].last_error or "")
        metrics = generate_latest(monitor.registry).decode()
        assert 'testgate_health_status{kind="pool",target="db"} 1.0' in metrics
        assert 'testgate_health_status{kind="pool",target="db-down"} 0.0' in metrics
        assert 'testgate_pool_connections{state="connects",target="db"}' in metrics
    finally:
        monitor.stop()
        engine.dispose()
        dead.dispose()


def test_run_test_suite_from_inside_a_running_loop() -> None:
    import asyncio

    async def coro_test() -> None:
        await asyncio.sleep(0)

    async def main() -> tuple[int, int]:
        r = run_test_suite("inside", {"coro": coro_test}, out=None)
        return r.passed, r.failed

    # a thread of its own: the browser tests' Playwright keeps a loop running in this one
    got: list[tuple[int, int]] = []
    t = threading.Thread(target=lambda: got.append(asyncio.run(main())))
    t.start()
    t.join()
    assert got == [(1, 0)]
