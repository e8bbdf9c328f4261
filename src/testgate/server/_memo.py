"""What the dashboard computes once per state of the store.

Every page and API answer is a function of the store's content, so it is computed once per
*generation* (:meth:`HistoryStore.generation`: runs recorded, the newest run, the marks on runs)
and served from memory until the store changes. One request computes a missing value while the
others asking for it wait for that result instead of computing it again (200 users opening the
dashboard at once cost one flaky analysis, not 200).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["Memo"]

T = TypeVar("T")


class Memo:
    """A bounded map key -> value, emptied whenever the generation changes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._gen: Hashable = None
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, gen: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if gen != self._gen:
                self._values.clear()
                self._computing.clear()
                self._gen = gen
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[no-any-return]
            busy = self._computing.setdefault(key, threading.Lock())
        with busy:
            with self._lock:
                if gen == self._gen and key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                if gen == self._gen:
                    self._values[key] = value
                    self._computing.pop(key, None)
                    while len(self._values) > self.size:
                        self._values.popitem(last=False)
            return value


class Answers:
    """Whole answers (status, headers, body) by ETag, at most *max_bytes* of bodies, emptied
    whenever the generation changes: a repeated request is not rendered or encoded again."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._gen: Hashable = None
        self._size = 0
        self._items: OrderedDict[str, tuple[int, dict[str, str], bytes]] = OrderedDict()

    def get(self, gen: Hashable, etag: str) -> tuple[int, dict[str, str], bytes] | None:
        with self._lock:
            if gen != self._gen:
                return None
            hit = self._items.get(etag)
            if hit is not None:
                self._items.move_to_end(etag)
            return hit

    def put(self, gen: Hashable, etag: str, answer: tuple[int, dict[str, str], bytes]) -> None:
        size = len(answer[2])
        if size > self.max_bytes // 4:
            return  # one huge answer must not push every other one out
        with self._lock:
            if gen != self._gen:
                self._items.clear()
                self._size = 0
                self._gen = gen
            old = self._items.pop(etag, None)
            if old is not None:
                self._size -= len(old[2])
            self._items[etag] = answer
            self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped[2])


__all__ += ["Answers"]
