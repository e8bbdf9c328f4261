"""No orphans even on ``kill -9``: a tiny watchdog process that outlives testgate by a moment.

While testgate lives it cleans every step's and service's process tree itself (timeouts,
fail-fast, interrupts, and the child subreaper for daemons). ``kill -9`` gives it no chance, so
each run starts a watchdog: a separate ``python -I -S`` process in its own session that reads
the ids of the sessions testgate starts (every step and service runs in a new session) from a
pipe. When the pipe closes without a goodbye (testgate died, however), the watchdog sends
SIGTERM to every process of those sessions, waits the grace, then SIGKILL to what is left, and
exits. On a normal end testgate says goodbye and the watchdog exits at once.

Linux's ``PR_SET_PDEATHSIG`` would only reach a step's first process (not its children), and
fires when the *thread* that started it ends, so it is not used.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from typing import IO

__all__ = ["Watchdog", "start_watchdog"]

# Runs under ``python -I -S``: the standard library only, no testgate import (a fast start).
_SCRIPT = r"""
import os, signal, sys, time
grace = float(sys.argv[1])
sessions = set()
def members():
    out = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name, 'rb') as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b')') + 2:].split()
        if fields[0] in (b'Z', b'X'):
            continue
        sid = int(fields[3])
        if sid in sessions:
            out.append(int(name))
    return out
for line in sys.stdin.buffer:
    word = line.strip()
    if word == b'bye':
        sys.exit(0)
    if word.startswith(b'+'):
        sessions.add(int(word[1:]))
    elif word.startswith(b'-'):
        sessions.discard(int(word[1:]))
if not sessions:
    sys.exit(0)
for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 0.0)):
    pids = members()
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and members():
        time.sleep(0.05)
"""


class Watchdog:
    """The running watchdog: tell it each session started and ended; close with :meth:`stop`."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._lock = threading.Lock()
        self._pipe: IO[bytes] | None = proc.stdin

    def _say(self, word: str) -> None:
        with self._lock:
            if self._pipe is None:
                return
            try:
                self._pipe.write(word.encode() + b"\n")
                self._pipe.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._pipe = None  # it died: the in-process cleanup still runs

    def started(self, sid: int) -> None:
        self._say(f"+{sid}")

    def ended(self, sid: int) -> None:
        self._say(f"-{sid}")

    def stop(self) -> None:
        """A normal end: the watchdog exits without touching anything."""
        self._say("bye")
        with self._lock:
            if self._pipe is not None:
                with contextlib.suppress(OSError):
                    self._pipe.close()
                self._pipe = None
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def start_watchdog(grace: float) -> Watchdog | None:
    """Start a watchdog (None where it cannot start: the in-process cleanup still holds)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _SCRIPT, str(grace)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches testgate, not the watchdog
            close_fds=True,
        )
    except OSError:
        return None
    return Watchdog(proc)
