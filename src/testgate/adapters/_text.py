"""Clean text from producers: terminal colour codes out of messages and traces.

jest, vitest, mocha and node's test runner colour their failure messages by default (with
``FORCE_COLOR``, or a terminal CI log); the escape sequences end up in JUnit ``<failure>``
bodies, TAP diagnostics and jest's JSON. A message shown in a report, matched by a triage rule
or compared across runs must not carry them.
"""

from __future__ import annotations

import re

__all__ = ["strip_ansi"]

# CSI sequences (colours, cursor moves: ESC [ ... final byte), OSC sequences (hyperlinks:
# ESC ] ... BEL or ESC \), and two-character escapes
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text: str) -> str:
    """*text* without terminal escape sequences (free when there are none)."""
    if "\x1b" not in text:
        return text
    return _ANSI.sub("", text)
