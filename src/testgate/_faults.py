"""Fault-injection points for testgate's own fault suite (``tests/faults/``); inert otherwise.

With ``TESTGATE_FAULT_AT=NAME`` (or ``NAME:N``, the N-th time the point is reached) in the
environment, :func:`point` writes ``NAME:N PID`` to the file ``TESTGATE_FAULT_MARK`` names and
waits there until the file ``TESTGATE_FAULT_MARK.go`` appears (at most a minute), so that a
test can kill the process at exactly that point without timing guesses. Without the variable a
point costs one dictionary lookup. This module imports nothing of testgate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["ENV", "MARK_ENV", "POINTS", "point"]

ENV = "TESTGATE_FAULT_AT"
MARK_ENV = "TESTGATE_FAULT_MARK"

#: every point, in the order a run reaches them
POINTS: tuple[str, ...] = (
    "plan",  # configuration loaded, nothing run yet
    "step",  # a step's process started
    "read",  # before a report file is read (once per report)
    "summary",  # summary.json half written (its head, before the tests)
    "latest",  # the run's summary written, latest/ not yet replaced
    "record",  # inside the history transaction, the run's row inserted, its tests not yet
)

_seen: dict[str, int] = {}


def point(name: str) -> None:
    """Pause here when the fault suite asks for it (see the module's docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    want, _, nth = spec.partition(":")
    if want != name:
        return
    _seen[name] = count = _seen.get(name, 0) + 1
    if count != (int(nth) if nth else 1):
        return
    mark = Path(os.environ[MARK_ENV])
    go = mark.with_name(mark.name + ".go")
    mark.write_text(f"{name}:{count} {os.getpid()}\n", encoding="utf-8")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not go.exists():
        time.sleep(0.005)
