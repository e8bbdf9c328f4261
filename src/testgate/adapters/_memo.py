"""A memo of parsed record texts, shared by the text readers (lcov, coverage.py's Cobertura)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Memo"]

#: past this many distinct texts a memo starts afresh (bounded memory)
_MEMO_MAX = 1 << 17
_WARM_UP = 1 << 12


class Memo(dict[str, Any]):
    """A record text (``"12,3"`` of lcov's ``DA:12,3``) -> its parsed value, parsed once per text.

    A report repeats the same few thousand record texts a million times, so one look-up per line
    (and a C-level ``dict()`` over the pairs) beats parsing two numbers per line. Only
    plain texts are taken (``KeyError`` otherwise: the caller then reads the record the general
    way); ``misses`` and ``seen`` tell the caller when the texts are too varied to pay.
    """

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse
        self.misses = 0
        self.seen = 0

    def __missing__(self, text: str) -> Any:
        value = self.parse(text)
        self.misses += 1
        if len(self) >= _MEMO_MAX:
            self.clear()
        self[text] = value
        return value

    def worth_it(self) -> bool:
        # a miss costs a few look-ups; past a warm-up, a quarter of misses is the limit: then
        # the caller parses numbers instead
        return self.misses * 4 <= self.seen + _WARM_UP
