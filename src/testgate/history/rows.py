"""Rows the history store returns, and small helpers shared by its modules."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from testgate.history.constants import RESULT_ID_BITS

__all__ = ["ResultsWindow", "RunInfo", "TestResult"]

#: how many values go into one ``IN (...)`` (well below SQLite's variable limit)
_CHUNK = 900
_MAX_MESSAGE = 500


def _utc(value: str | None) -> datetime | None:
    """A naive UTC datetime from an ISO 8601 string (``Z`` accepted), or None."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.replace(tzinfo=timezone.utc).isoformat()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _id_range(first_pk: int, last_pk: int) -> tuple[int, int]:
    """The ``results.id`` range holding the results of runs *first_pk* .. *last_pk*."""
    return first_pk << RESULT_ID_BITS, ((last_pk + 1) << RESULT_ID_BITS) - 1


def _first_line(message: str | None) -> str | None:
    if not message:
        return None
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line[:_MAX_MESSAGE] or None


@dataclass(slots=True)
class RunInfo:
    """One recorded run, as the store keeps it (the test results stay in the store)."""

    pk: int
    id: str
    project: str
    branch: str | None
    commit: str | None
    base_ref: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    status: str
    verdict: str | None
    interrupted: bool
    tests_total: int
    tests_failed: int
    meta: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "branch": self.branch,
            "commit": self.commit,
            "base_ref": self.base_ref,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_s": self.duration_s,
            "status": self.status,
            "verdict": self.verdict,
            "interrupted": self.interrupted,
            "tests_total": self.tests_total,
            "tests_failed": self.tests_failed,
            "ci": self.meta.get("ci") or {},
            "metrics": dict(sorted(self.metrics.items())),
        }


@dataclass(slots=True)
class TestResult:
    """One test's outcome in one recorded run."""

    __test__ = False

    run: RunInfo
    test_id: str
    status: str
    duration_s: float
    attempts: int
    flaky: bool
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.id,
            "commit": self.run.commit,
            "branch": self.run.branch,
            "started_at": _iso(self.run.started_at),
            "test": self.test_id,
            "status": self.status,
            "duration_s": self.duration_s,
            "attempts": self.attempts,
            "flaky": self.flaky,
            "message": self.message,
        }


@dataclass(slots=True)
class ResultsWindow:
    """The results of the last runs, for the flaky and slow analyses (pure data, no I/O).

    ``runs`` is oldest first. ``outcomes`` maps a test id to ``(run index, status code,
    flaky, attempts)`` tuples in run order; ``durations`` maps a test id to
    ``(run index, seconds)`` tuples in run order. Each holds only what was asked for.
    """

    runs: list[RunInfo]
    outcomes: dict[str, list[tuple[int, int, bool, int]]] = field(default_factory=dict)
    durations: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


#: the columns :func:`_run_info` reads, in its order, as SQL text (for :mod:`.reads`)
RUN_COLUMNS_SQL = (
    'runs.id, runs.uid, runs.project, runs.branch, runs."commit", runs.base_ref, '
    "runs.started_at, runs.finished_at, runs.duration_s, runs.status, runs.verdict, "
    "runs.interrupted, runs.tests_total, runs.tests_failed, runs.meta"
)


def _datetime(value: Any) -> Any:
    """A stored timestamp as a datetime: the drivers' own cursors give SQLite's text
    (``2026-01-01 00:00:00.000000``, how SQLAlchemy stores a DateTime) as a string."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _run_info(row: Any) -> RunInfo:
    """A :class:`RunInfo` from a row of :data:`RUN_COLUMNS_SQL`, as SQLAlchemy gives it or as a
    driver's cursor does (SQLite: timestamps and ``meta`` as text, booleans as integers)."""
    meta = row[14]
    if isinstance(meta, str | bytes):
        meta = json.loads(meta)
    return RunInfo(
        pk=row[0],
        id=row[1],
        project=row[2],
        branch=row[3],
        commit=row[4],
        base_ref=row[5],
        started_at=_datetime(row[6]),
        finished_at=_datetime(row[7]),
        duration_s=row[8],
        status=row[9],
        verdict=row[10],
        interrupted=bool(row[11]),
        tests_total=row[12],
        tests_failed=row[13],
        meta=dict(meta or {}),
    )
