"""Where a baseline run comes from: a ``summary.json`` file or the history store.

:class:`BaselineProvider` is the small interface the gate command calls; the file provider
works now, the history provider asks :mod:`testgate.history` for the last recorded run of a ref
(branch, tag or commit) and says so clearly when that module is not installed.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

from testgate.errors import GateError, HistoryError
from testgate.model import Run, read_summary

__all__ = [
    "BaselineProvider",
    "FileBaseline",
    "HistoryBaseline",
    "MemoryBaseline",
    "baseline_provider",
]


class BaselineProvider(Protocol):
    """Gives the run that a trend or baseline comparison compares against."""

    def describe(self) -> str:
        """Where the baseline comes from, for the output."""
        ...

    def load(self) -> Run:
        """The baseline run; raises a TestgateError when there is none."""
        ...


class FileBaseline:
    """A ``summary.json`` written by an earlier run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"summary {self.path}"

    def load(self) -> Run:
        return read_summary(self.path)


class MemoryBaseline:
    """A run already in memory (for tests and for ``testgate run``)."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def describe(self) -> str:
        return f"run {self.run.id}"

    def load(self) -> Run:
        return self.run


class HistoryBaseline:
    """The last recorded run of *ref* (a branch, a commit or a run id) in the history store.

    It uses ``testgate.history``: ``resolve_url(None, loaded)`` for the store the configuration
    names, ``open_store(url)`` and ``store.last_run(ref)``.
    """

    def __init__(
        self, ref: str, loaded: Any = None, *, exclude: str | None = None, db: str | None = None
    ) -> None:
        self.ref = ref
        self.loaded = loaded
        #: the run being gated: never its own baseline
        self.exclude = exclude
        self.db = db

    def describe(self) -> str:
        return f"last recorded run of {self.ref}"

    def load(self) -> Run:
        try:
            history = importlib.import_module("testgate.history")
        except ModuleNotFoundError:
            raise GateError(
                f"--baseline {self.ref}: {self.ref!r} is not a file, and the history store is "
                "not available in this installation; pass a summary.json file instead"
            ) from None
        needed = ("open_store", "resolve_url")
        if not all(hasattr(history, name) for name in needed):
            raise GateError(
                f"--baseline {self.ref}: this history store cannot look runs up by ref; "
                "pass a summary.json file instead"
            )
        url = history.resolve_url(self.db, self.loaded)
        with history.open_store(url) as store:
            run = store.last_run(self.ref, exclude=self.exclude)
        if run is None:
            raise HistoryError(
                f"--baseline {self.ref}: no recorded run of {self.ref!r} in the history store "
                "(and no such file)"
            )
        if not isinstance(run, Run):
            raise GateError(
                f"--baseline {self.ref}: the history store returned {type(run).__name__}"
            )
        return run


def baseline_provider(
    value: str,
    *,
    cwd: Path,
    loaded: Any = None,
    exclude: str | None = None,
    db: str | None = None,
) -> BaselineProvider:
    """A file when *value* names an existing file (or ends in .json), else a history ref (whose
    last recorded run other than *exclude*, the run being gated, is the baseline)."""
    p = Path(value)
    if not p.is_absolute():
        p = cwd / p
    if p.is_file() or value.endswith(".json"):
        return FileBaseline(p)
    return HistoryBaseline(value, loaded, exclude=exclude, db=db)
