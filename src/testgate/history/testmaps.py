"""Per-test coverage maps and step-cache entries in the history store.

The maps are built and read by :mod:`testgate.select`; this module only stores them: one row
per (run, step), the map itself a compressed JSON document. Parallel writers (CI shards of one
commit) each insert their own row; :func:`load_maps` returns every row of the commits asked
for, and the reader takes their union.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from testgate.history import schema as S
from testgate.history.rows import _chunks, _now
from testgate.history.store import HistoryStore

__all__ = ["StoredMap", "cache_get", "cache_put", "load_maps", "map_commits", "save_map"]


@dataclass(slots=True)
class StoredMap:
    commit: str
    step: str
    run_uid: str
    tests: int
    data: bytes

    def json_bytes(self) -> bytes:
        return zlib.decompress(self.data)


def save_map(
    store: HistoryStore, *, commit: str, step: str, run_uid: str, tests: int, payload: bytes
) -> bool:
    """Store one step's map measured by run *run_uid* at *commit*; False if already stored."""
    row = {
        "commit": commit[:64],
        "step": step[:255],
        "run_uid": run_uid[:200],
        "created_at": _now(),
        "tests": tests,
        "data": zlib.compress(payload, 6),
    }
    try:
        with store._write() as conn:
            found = conn.execute(
                select(S.testmaps.c.id).where(
                    (S.testmaps.c.run_uid == row["run_uid"]) & (S.testmaps.c.step == row["step"])
                )
            ).first()
            if found:
                return False
            conn.execute(S.testmaps.insert().values(**row))
    except IntegrityError:
        return False  # the same run's map written by a concurrent writer
    except OperationalError as exc:
        raise store._db_error(exc) from exc
    return True


def load_maps(
    store: HistoryStore, commits: Sequence[str], step: str | None = None
) -> list[StoredMap]:
    """Every map recorded at one of *commits* (for *step*, or all steps)."""
    out: list[StoredMap] = []
    t = S.testmaps.c
    with store._read() as conn:
        for chunk in _chunks(list(commits)):
            q = select(t.commit, t.step, t.run_uid, t.tests, t.data).where(t.commit.in_(chunk))
            if step is not None:
                q = q.where(t.step == step)
            out.extend(StoredMap(c, s, r, n, bytes(d)) for c, s, r, n, d in conn.execute(q))
    return out


def map_commits(store: HistoryStore, commits: Sequence[str]) -> set[str]:
    """Which of *commits* have at least one recorded map."""
    found: set[str] = set()
    t = S.testmaps.c
    with store._read() as conn:
        for chunk in _chunks(list(commits)):
            q = select(t.commit).distinct().where(t.commit.in_(chunk))
            found.update(conn.execute(q).scalars())
    return found


def cache_get(store: HistoryStore, key: str) -> bytes | None:
    """The step-cache entry for *key* (decompressed), or None."""
    with store._read() as conn:
        row = conn.execute(select(S.step_cache.c.data).where(S.step_cache.c.key == key)).first()
    return zlib.decompress(bytes(row[0])) if row else None


def cache_put(store: HistoryStore, *, key: str, step: str, run_uid: str, payload: bytes) -> None:
    """Store a step-cache entry; an entry already there for *key* is kept (same inputs)."""
    row: dict[str, Any] = {
        "key": key,
        "step": step[:255],
        "run_uid": run_uid[:200],
        "created_at": _now(),
        "data": zlib.compress(payload, 6),
    }
    try:
        with store._write() as conn:
            if conn.execute(select(S.step_cache.c.key).where(S.step_cache.c.key == key)).first():
                return
            conn.execute(S.step_cache.insert().values(**row))
    except IntegrityError:
        return
    except OperationalError as exc:
        raise store._db_error(exc) from exc
