"""testgate's toolkit for users' tests (seed 000's qtests features, in Python) and the
``project`` fixture for plugin authors.

- :func:`run_test_suite`: run a named mapping of test callables, get passed/failed/failures;
- :class:`CircuitBreaker`: closed, open and half-open, as a decorator or a context manager;
- :class:`HealthMonitor`: services and SQLAlchemy pools checked periodically, states exposed to
  Prometheus;
- :func:`allocate_port` / :class:`PortAllocator`: free TCP ports that parallel processes and
  shards never share (a file lock);
- :class:`Project` / :class:`Outcome`: a throwaway repository with testgate run in-process.

See ``docs/toolkit.md``.
"""

from __future__ import annotations

from testgate.testing.breaker import (
    CallTimeoutError,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
)
from testgate.testing.health import HealthMonitor, HealthState
from testgate.testing.ports import PortAllocator, allocate_port, release_port
from testgate.testing.project import Outcome, Project
from testgate.testing.suite import SuiteResult, run_test_suite

__all__ = [
    "CallTimeoutError",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "HealthMonitor",
    "HealthState",
    "Outcome",
    "PortAllocator",
    "Project",
    "SuiteResult",
    "allocate_port",
    "release_port",
    "run_test_suite",
]
