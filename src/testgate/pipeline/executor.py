"""The ``Executor`` interface: where a step's process tree runs.

The pipeline plans the steps, schedules them, starts the services they need and reads their
reports; an *executor* runs one step's command to its end and hands back what happened:

- :meth:`Executor.start` starts a step described by a :class:`StepRequest` and returns a
  :class:`StepHandle` at once;
- the step's output appears in ``request.log`` while it runs, with secrets masked by
  ``request.masker`` (a remote executor streams it);
- :meth:`StepHandle.cancel` stops it: no further attempt starts, and its whole process tree is
  killed (SIGTERM, a grace, SIGKILL), without blocking the caller;
- :meth:`StepHandle.wait` blocks until the step ended and returns a :class:`StepRun`: the
  :class:`~testgate.model.StepResult` and the report files *this* step wrote, present on this
  machine (a remote executor ships them back), beside the declared reports that were missing
  and those that were not rewritten by the step (stale).

Nothing above :mod:`testgate.pipeline` knows which executor ran a step. testgate ships the local
subprocess executor (:mod:`testgate.pipeline.local`); the Dask executor lives in
:mod:`testgate.shard`.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from testgate.masking import Masker
from testgate.model import StepResult

__all__ = [
    "STALE_SLACK_S",
    "Executor",
    "ReportSnapshot",
    "StepHandle",
    "StepRequest",
    "StepRun",
    "clean_reports",
    "collect_reports",
    "match_reports",
    "snapshot_reports",
]

#: A report whose modification time is this much older than the step's start was not written
#: by the step (file systems with coarse timestamps round down by up to two seconds).
STALE_SLACK_S = 3.0


@dataclass(slots=True)
class StepRequest:
    """Everything an executor needs to run one step; no configuration objects."""

    #: ``stage/name``
    key: str
    stage: str
    name: str
    #: a string for ``/bin/sh -c`` (or a direct exec when no shell is needed), or argv
    command: str | list[str]
    #: the directory the command runs in (absolute, inside ``root``)
    cwd: Path
    #: the repository root: report patterns are relative to it
    root: Path
    env: Mapping[str, str]
    #: where the step's output goes (on this machine); ``log_name`` is its run-relative name
    log: Path
    log_name: str
    timeout: float | None = None
    retries: int = 0
    #: report paths or globs as written in the configuration (relative to ``root``)
    reports: Sequence[str] = ()
    #: delete the declared reports before the first attempt (``clean_reports:``)
    clean_reports: bool = True
    #: seconds between SIGTERM and SIGKILL when the tree is killed
    grace: float = 2.0
    #: the command as shown to people
    display_command: str = ""
    #: resource name -> (units the step holds, capacity): an executor shared by several
    #: runs (a Dask cluster) holds them cluster-wide; the local scheduler counts them per run
    resources: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: the services the step needs (name -> ``ServiceSpec``), for an executor that starts
    #: them where the step runs (``Executor.runs_services``); otherwise the pipeline has
    #: already started them on this machine
    services: Mapping[str, object] = field(default_factory=dict)
    #: masks secrets in the step's output before it reaches ``log`` (None: none masked)
    masker: Masker | None = None


@dataclass(slots=True)
class StepRun:
    """What an executor hands back for one step."""

    result: StepResult
    #: report files written by this step, as local paths, sorted
    reports: list[Path] = field(default_factory=list)
    #: declared report patterns that matched no file
    missing: list[str] = field(default_factory=list)
    #: report files that exist but were not written by this step (refused by name)
    stale: list[Path] = field(default_factory=list)


@runtime_checkable
class StepHandle(Protocol):
    """A started step."""

    def wait(self) -> StepRun:
        """Block until the step ended (every attempt) and return what happened."""
        ...

    def cancel(self, reason: str) -> None:
        """Stop the step: no new attempt, its process tree killed; returns at once."""
        ...


@runtime_checkable
class Executor(Protocol):
    """Runs steps somewhere: this machine, a Dask cluster, ..."""

    #: shown in the run's facts and the progress (``local``, ``dask tcp://...``)
    name: str

    # An executor may also set ``runs_services = True`` (it starts a step's services where the
    # step runs, from ``StepRequest.services``) and ``slots`` (how many steps it can run at
    # once, when the run does not say ``--workers``).

    def start(self, request: StepRequest) -> StepHandle:
        """Start *request*; never blocks for the step's duration."""
        ...

    def close(self) -> None:
        """Release what the executor holds (connections, a local cluster)."""
        ...


def match_reports(pattern: str, root: Path) -> list[Path]:
    """The files *pattern* (a path or glob, absolute or relative to *root*) names, sorted."""
    expanded = os.path.expanduser(pattern)
    if os.path.isabs(expanded):
        matches = glob.glob(expanded, recursive=True)
    else:
        # root_dir: brackets or stars in the project's own path are not a pattern
        matches = [
            os.path.join(root, m) for m in glob.glob(expanded, root_dir=root, recursive=True)
        ]
    return sorted(Path(m) for m in matches if os.path.isfile(m))


#: path -> (inode, size, mtime in ns) of a report file before the step ran
ReportSnapshot = dict[Path, tuple[int, int, int]]


def snapshot_reports(patterns: Sequence[str], root: Path) -> ReportSnapshot:
    """What the declared reports look like now, to tell afterwards which ones the step wrote."""
    snap: ReportSnapshot = {}
    for pattern in patterns:
        for path in match_reports(pattern, root):
            with contextlib.suppress(OSError):
                st = path.stat()
                snap[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return snap


def clean_reports(patterns: Sequence[str], root: Path) -> list[Path]:
    """Delete the files the declared reports name (before a step runs); returns them."""
    removed: list[Path] = []
    for pattern in patterns:
        for path in match_reports(pattern, root):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def collect_reports(
    patterns: Sequence[str], root: Path, *, since: float, before: ReportSnapshot
) -> tuple[list[Path], list[str], list[Path]]:
    """``(fresh, missing, stale)`` for a step that started at *since* (``time.time()``).

    A file is stale when it is exactly as it was before the step started (*before*), or when
    it was last modified well before the step started (:data:`STALE_SLACK_S`).
    """
    fresh: list[Path] = []
    missing: list[str] = []
    stale: list[Path] = []
    seen: set[Path] = set()
    for pattern in patterns:
        files = match_reports(pattern, root)
        if not files:
            missing.append(pattern)
            continue
        for path in files:
            if path in seen:
                continue
            seen.add(path)
            try:
                st = path.stat()
            except OSError:
                missing.append(pattern)
                continue
            if before.get(path) == (st.st_ino, st.st_size, st.st_mtime_ns) or (
                st.st_mtime < since - STALE_SLACK_S
            ):
                stale.append(path)
            else:
                fresh.append(path)
    return fresh, missing, stale
