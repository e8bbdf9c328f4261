"""Run one process tree: its own session, its own log, a timeout, and no orphan left behind.

Every step and service runs in a new session (so its process group id is its pid and a
terminal's Ctrl-C reaches testgate only). Killing a tree sends SIGTERM to the group and to every
descendant found by walking ``/proc`` (which catches children that left the group with
``setsid``), waits a short grace, then sends SIGKILL to whatever is left.

The leader is waited for with ``waitid(WNOWAIT)``: it stays a zombie until the group has been
cleaned, so its pid (which is also the group id) cannot be recycled under us; with a
``pid_max`` of 32768 that is not a theoretical risk.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testgate.pipeline.watchdog import Watchdog

__all__ = [
    "DEFAULT_KILL_GRACE",
    "HURRY",
    "ProcessHandle",
    "alive",
    "become_subreaper",
    "children_of",
    "proc_table",
    "reap_orphans",
    "spawn",
    "terminate_trees",
]

#: Seconds between SIGTERM and SIGKILL when a tree is killed.
DEFAULT_KILL_GRACE = 2.0

#: Set by a second interrupt: trees being killed get SIGKILL without waiting out the grace.
HURRY = threading.Event()

# Spawning holds this lock so that a sweep of orphans never mistakes a process that another
# thread is just starting for a stray one.
SPAWN_LOCK = threading.Lock()

#: The running pipeline's watchdog (see :mod:`testgate.pipeline.watchdog`): every session
#: :func:`spawn` starts is told to it, so that ``kill -9`` of testgate leaves no orphan.
WATCHDOG: Watchdog | None = None


@dataclass(slots=True, frozen=True)
class _Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str


def proc_table() -> dict[int, _Proc]:
    """Every process visible in ``/proc``: pid, parent, group, session and state."""
    table: dict[int, _Proc] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue  # gone meanwhile
        # the command name is in parentheses and may hold spaces or parentheses itself
        rest = raw[raw.rfind(b")") + 2 :].split()
        try:
            table[int(name)] = _Proc(
                int(name), int(rest[1]), int(rest[2]), int(rest[3]), rest[0].decode()
            )
        except (IndexError, ValueError):
            continue
    return table


def alive(pid: int) -> bool:
    """Whether *pid* runs (a zombie is dead: it only waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return False
    state = raw[raw.rfind(b")") + 2 : raw.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def children_of(pid: int, table: Mapping[int, _Proc] | None = None) -> list[int]:
    """The direct children of *pid*."""
    table = proc_table() if table is None else table
    return [p.pid for p in table.values() if p.ppid == pid]


def _tree(roots: Iterable[int], table: Mapping[int, _Proc]) -> set[int]:
    """*roots*, their descendants, and every member of their sessions or process groups."""
    found = set(roots)
    groups = set(found)  # each root leads its own session and group
    kids: dict[int, list[int]] = {}
    for p in table.values():
        kids.setdefault(p.ppid, []).append(p.pid)
        if p.sid in groups or p.pgid in groups:
            found.add(p.pid)
    todo = list(found)
    while todo:
        for child in kids.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _signal_all(pids: Iterable[int], groups: Iterable[int], sig: int) -> None:
    for g in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(g, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def terminate_trees(leaders: Sequence[int], grace: float = DEFAULT_KILL_GRACE) -> None:
    """Kill the process trees led by *leaders*: SIGTERM, *grace* seconds, then SIGKILL.

    Several trees are killed together so that an interrupt does not wait one grace per step.
    """
    if not leaders:
        return
    pids = _tree(leaders, proc_table())
    _signal_all(pids, leaders, signal.SIGTERM)
    _signal_all(pids, (), signal.SIGCONT)  # a stopped process cannot act on SIGTERM
    deadline = time.monotonic() + grace
    delay = 0.005
    while True:
        pids = _tree(pids, proc_table())  # processes may fork while they shut down
        living = [p for p in pids if p not in leaders and alive(p)]
        living += [p for p in leaders if alive(p)]
        if not living or time.monotonic() >= deadline or HURRY.is_set():
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    _signal_all(living, leaders, signal.SIGKILL)


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``) so none escapes to init.

    A daemon that double-forks away from its step then becomes our child, which
    :func:`reap_orphans` finds and kills at the end of the run.
    """
    return _prctl_subreaper(1)


def _prctl_subreaper(value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, value, 0, 0, 0)) == 0  # 36 = PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def stop_subreaper() -> None:
    _prctl_subreaper(0)


def reap_orphans(baseline: set[int], grace: float = DEFAULT_KILL_GRACE) -> list[int]:
    """Kill and reap our children that were not there at *baseline* (orphans we adopted)."""
    me = os.getpid()
    with SPAWN_LOCK:
        table = proc_table()
        strays = [pid for pid in children_of(me, table) if pid not in baseline]
    if not strays:
        return []
    terminate_trees(strays, grace)
    for pid in strays:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return strays


@dataclass
class ProcessHandle:
    """A running process tree that another thread may kill (timeout, fail-fast, interrupt)."""

    proc: subprocess.Popen[bytes]
    grace: float = DEFAULT_KILL_GRACE
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _killing: bool = False
    _exited: bool = False
    _killed: threading.Event = field(default_factory=threading.Event)
    timed_out: bool = False
    cancelled: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def claim_kill(self, *, timeout: bool = False) -> bool:
        """Mark the tree as being killed; False when it ended already or is being killed."""
        with self._lock:
            if self._exited or self._killing:
                return False
            self._killing = True
            if timeout:
                self.timed_out = True
            else:
                self.cancelled = True
            return True

    def kill_done(self) -> None:
        self._killed.set()

    def kill(self, *, timeout: bool = False) -> None:
        """Kill the whole tree (from any thread)."""
        if self.claim_kill(timeout=timeout):
            try:
                terminate_trees([self.pid], self.grace)
            finally:
                self.kill_done()

    def wait(self, timeout: float | None) -> int:
        """Wait for the leader, clean its group, then reap it; returns its exit code."""
        timer: threading.Timer | None = None
        if timeout is not None:
            timer = threading.Timer(timeout, self.kill, kwargs={"timeout": True})
            timer.daemon = True
            timer.start()
        # WNOWAIT: leave the leader a zombie so its pid (the group id) stays ours
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            self._exited = True
            killing = self._killing
        if timer is not None:
            timer.cancel()
        if killing:
            self._killed.wait()
        else:
            # whatever the step left running in its group goes with it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        if WATCHDOG is not None:
            WATCHDOG.ended(self.pid)  # before the reap: the id is still ours
        return self.proc.wait()


# Like make, a command with nothing for a shell to do is executed directly: one exec instead
# of two. Anything with a shell metacharacter, or starting with a shell word, goes to /bin/sh.
_SHELL_CHARS = frozenset("#;\"'*?[]&|<>(){}$`^~!=%\\\n\r\t")
_SHELL_WORDS_TEXT = """
. : alias bg break case cd command continue do done echo elif else esac eval exec exit export fc
fg fi for getopts hash if jobs kill printf read readonly return set shift source then times trap
type ulimit umask unalias unset until wait while
"""
_SHELL_WORDS = frozenset(_SHELL_WORDS_TEXT.split())


def _direct_argv(command: str) -> list[str] | None:
    """*command* as argv when no shell is needed for it, else None."""
    if any(c in _SHELL_CHARS for c in command):
        return None
    words = command.split(" ")
    words = [w for w in words if w]
    if not words or words[0] in _SHELL_WORDS:
        return None
    return words


def spawn(
    command: str | Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    grace: float = DEFAULT_KILL_GRACE,
    header: str | None = None,
) -> ProcessHandle:
    """Start *command* (a string for ``/bin/sh -c``, or argv) in a new session, output to *log*.

    Raises :class:`OSError` when it cannot start (missing program or directory).
    """
    if isinstance(command, str):
        argv = _direct_argv(command) or ["/bin/sh", "-c", command]
    else:
        argv = list(command)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        if header:
            fh.write(header.encode())
            fh.flush()
        with SPAWN_LOCK:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
            if WATCHDOG is not None:
                WATCHDOG.started(proc.pid)  # its own session: the session id is its pid
    return ProcessHandle(proc, grace=grace)
