"""``--executor SPEC`` / ``executor:``: the executor a run's steps go to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from testgate.errors import UsageError

if TYPE_CHECKING:
    from testgate.pipeline.executor import Executor
    from testgate.pipeline.runner import Progress

__all__ = ["make_executor", "parse_executor"]

_LOCAL_N = re.compile(r"^dask-local(?::(\d+))?$")


def parse_executor(spec: str) -> tuple[str, str | int | None]:
    """``("local", None)``, ``("dask-local", N)`` or ``("dask", "tcp://host:port")``."""
    text = spec.strip()
    if text in ("", "local"):
        return "local", None
    m = _LOCAL_N.match(text)
    if m:
        n = int(m.group(1) or 2)
        if n < 1:
            raise UsageError(f"executor {spec!r}: dask-local needs at least 1 worker")
        return "dask-local", n
    if re.match(r"^(tcp|tls|ws|wss|inproc|ucx)://\S+$", text):
        return "dask", text
    raise UsageError(
        f"executor {spec!r}: expected local, dask-local:N (N workers on this machine) or the "
        "address of a Dask scheduler such as tcp://10.0.0.5:8786",
        slug="executor",
    )


def make_executor(spec: str, *, progress: Progress | None = None) -> Executor:
    """The executor *spec* names (a Dask one needs ``pip install 'testgate[dask]'``)."""
    kind, arg = parse_executor(spec)
    if kind == "local":
        from testgate.pipeline.local import LocalExecutor

        return LocalExecutor()
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(
            f"executor {spec!r} needs dask.distributed, which is not installed: "
            "pip install 'testgate[dask]'",
            slug="executor",
        ) from None
    from testgate.shard.dask import DaskExecutor

    if kind == "dask-local":
        assert isinstance(arg, int)
        return DaskExecutor.local(arg, progress=progress)
    assert isinstance(arg, str)
    return DaskExecutor.connect(arg, progress=progress)
