"""A circuit breaker: stop calling a dependency that keeps failing, try again later.

.. code-block:: python

    breaker = CircuitBreaker("payments", failure_threshold=3, reset_timeout=30, call_timeout=2)

    @breaker
    def charge(amount): ...

    with breaker:            # or around any block
        client.get("/health")

States: **closed** (calls go through; ``failure_threshold`` failures in a row open it),
**open** (calls fail at once with :class:`CircuitOpenError` until ``reset_timeout`` has
passed), **half-open** (one trial call at a time: a success closes it, a failure opens it
again). ``call_timeout`` bounds a call made through :meth:`CircuitBreaker.call` or the
decorator (the call runs in a worker thread; a late call counts as a failure, and its result is
dropped). ``on_state_change(breaker, old, new)`` is told of every change. Thread-safe.
"""

from __future__ import annotations

import concurrent.futures
import enum
import functools
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

__all__ = ["CallTimeoutError", "CircuitBreaker", "CircuitOpenError", "CircuitState"]

P = ParamSpec("P")
R = TypeVar("R")


class CircuitState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(RuntimeError):
    """The breaker is open (or half-open with its trial call under way): not called."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name!r} is open; next try in {max(retry_in, 0.0):.1f}s")
        self.name = name
        self.retry_in = retry_in


class CallTimeoutError(TimeoutError):
    """A call took longer than the breaker's ``call_timeout``."""


StateListener = Callable[["CircuitBreaker", CircuitState, CircuitState], None]


class CircuitBreaker:
    """See the module docstring."""

    def __init__(
        self,
        name: str = "circuit",
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        call_timeout: float | None = None,
        on_state_change: StateListener | None = None,
        failure_exceptions: tuple[type[BaseException], ...] = (Exception,),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold}")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must not be negative, got {reset_timeout}")
        if call_timeout is not None and call_timeout <= 0:
            raise ValueError(f"call_timeout must be positive, got {call_timeout}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.call_timeout = call_timeout
        self.on_state_change = on_state_change
        self.failure_exceptions = failure_exceptions
        self._clock = clock
        self._lock = threading.RLock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        #: totals since creation
        self.calls = 0
        self.successes = 0
        self.rejections = 0
        self.failures_total = 0

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> CircuitState:
        with self._lock:
            if (
                self._state is CircuitState.OPEN
                and self._clock() - self._opened_at >= self.reset_timeout
            ):
                self._set(CircuitState.HALF_OPEN)
            return self._state

    @property
    def failure_count(self) -> int:
        return self._failures

    def _set(self, new: CircuitState) -> None:
        old = self._state
        if old is new:
            return
        self._state = new
        if new is CircuitState.OPEN:
            self._opened_at = self._clock()
        if self.on_state_change is not None:
            self.on_state_change(self, old, new)

    def reset(self) -> None:
        """Close the breaker and forget the failures."""
        with self._lock:
            self._failures = 0
            self._trial = False
            self._set(CircuitState.CLOSED)

    def _admit(self) -> None:
        with self._lock:
            state = self.state
            if state is CircuitState.OPEN or (state is CircuitState.HALF_OPEN and self._trial):
                self.rejections += 1
                retry = self.reset_timeout - (self._clock() - self._opened_at)
                raise CircuitOpenError(self.name, retry)
            if state is CircuitState.HALF_OPEN:
                self._trial = True  # one trial call at a time
            self.calls += 1

    def _record(self, ok: bool) -> None:
        with self._lock:
            was_trial = self._trial
            self._trial = False
            if ok:
                self.successes += 1
                self._failures = 0
                self._set(CircuitState.CLOSED)
                return
            self.failures_total += 1
            self._failures += 1
            if was_trial or self._failures >= self.failure_threshold:
                self._set(CircuitState.OPEN)

    # ------------------------------------------------------------------ calling

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call *fn* through the breaker (bounded by ``call_timeout`` when set)."""
        self._admit()
        try:
            if self.call_timeout is None:
                result = fn(*args, **kwargs)
            else:
                with self._lock:
                    if self._pool is None:
                        self._pool = concurrent.futures.ThreadPoolExecutor(
                            thread_name_prefix=f"breaker-{self.name}"
                        )
                    pool = self._pool
                future = pool.submit(fn, *args, **kwargs)
                try:
                    result = future.result(timeout=self.call_timeout)
                except concurrent.futures.TimeoutError:
                    raise CallTimeoutError(
                        f"circuit {self.name!r}: call took longer than {self.call_timeout:g}s"
                    ) from None
        except BaseException as exc:
            self._record(not isinstance(exc, (*self.failure_exceptions, CallTimeoutError)))
            raise
        self._record(True)
        return result

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use the breaker as a decorator."""

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(fn, *args, **kwargs)

        return wrapper

    def __enter__(self) -> CircuitBreaker:
        self._admit()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._record(exc is None or not isinstance(exc, self.failure_exceptions))

    def close(self) -> None:
        """Release the worker threads of ``call_timeout`` (running calls are not waited for)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value}, failures={self._failures})"

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "failures": self._failures,
            "calls": self.calls,
            "successes": self.successes,
            "rejections": self.rejections,
            "failures_total": self.failures_total,
        }
