"""Free TCP ports that parallel processes, xdist workers and CI shards never share.

Binding port 0 gives a free port, but two processes asking at once can both be told the same
one before either binds it. :func:`allocate_port` takes a file lock (``filelock``, portable and
maintained) around choosing, and records each port it hands out in a lease file with the
owner's pid; a port leased by a live process is never handed out again until it is released
(or its process is gone).

.. code-block:: python

    with PortAllocator() as ports:
        api = ports.allocate()
        db = ports.allocate()
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path

from filelock import FileLock

__all__ = ["PortAllocator", "allocate_port", "default_lock_dir", "release_port"]

_LEASES = "leases.json"


def default_lock_dir() -> Path:
    """Where the lock and leases live: ``TESTGATE_PORTS_DIR`` or the temp dir."""
    return Path(
        os.environ.get("TESTGATE_PORTS_DIR") or Path(tempfile.gettempdir()) / "testgate-ports"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _bindable(port: int, host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _read(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def _write(path: Path, leases: dict[str, int]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(leases), encoding="utf-8")
    os.replace(tmp, path)


def allocate_port(
    *, host: str = "127.0.0.1", lock_dir: Path | None = None, timeout: float = 30.0
) -> int:
    """A free port on *host*, leased to this process until :func:`release_port` or its exit."""
    folder = lock_dir or default_lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "ports.lock"), timeout=timeout):
        path = folder / _LEASES
        leases = {p: pid for p, pid in _read(path).items() if _alive(pid)}
        for _ in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((host, 0))
                port = int(s.getsockname()[1])
            if str(port) not in leases and _bindable(port, host):
                leases[str(port)] = os.getpid()
                _write(path, leases)
                return port
            time.sleep(0.001)
    raise RuntimeError(f"no free port found on {host} after 200 tries")


def release_port(port: int, *, lock_dir: Path | None = None, timeout: float = 30.0) -> None:
    """Give *port* back (only a lease of this process is released)."""
    folder = lock_dir or default_lock_dir()
    with FileLock(str(folder / "ports.lock"), timeout=timeout):
        path = folder / _LEASES
        leases = _read(path)
        if leases.get(str(port)) == os.getpid():
            del leases[str(port)]
            _write(path, leases)


class PortAllocator:
    """Ports for one test session; everything it allocated is released on exit."""

    def __init__(self, *, host: str = "127.0.0.1", lock_dir: Path | None = None) -> None:
        self.host = host
        self.lock_dir = lock_dir
        self.ports: list[int] = []

    def allocate(self) -> int:
        port = allocate_port(host=self.host, lock_dir=self.lock_dir)
        self.ports.append(port)
        return port

    def release_all(self) -> None:
        for port in self.ports:
            with contextlib.suppress(OSError):
                release_port(port, lock_dir=self.lock_dir)
        self.ports.clear()

    def __enter__(self) -> PortAllocator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_all()
