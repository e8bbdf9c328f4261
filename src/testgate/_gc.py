"""Pausing the cyclic garbage collector while bulk data is built.

Reading a report or a window of the history makes hundreds of thousands of tuples, lists and
objects that hold no reference cycles. Every few hundred allocations CPython runs a young
collection that walks the tracked objects made so far, and the older generations are walked
again and again as they grow: measured, a tenth to a fifth of such a read. :func:`paused`
switches the collector off for the read; with ``age=True`` the objects made are moved on the
way out straight to the oldest generation (freeze then unfreeze: two list splices, no
traversal), so that the first allocation afterwards does not walk all of them as "young" to
find what is known here: they are all alive.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused(*, age: bool | Callable[[], bool] = False) -> Iterator[None]:
    """The cyclic collector off inside the block (reference counting still frees everything
    without a cycle); back as it was on the way out, even on an exception. *age*: see the
    module docstring (a callable decides on the way out, e.g. from how many objects the block
    made); skipped if the process froze objects itself (unfreeze would thaw them)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if (age() if callable(age) else age) and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was:
            gc.enable()
