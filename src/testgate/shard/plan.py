"""A shard plan: which tests (or files) each of N shards runs, and how long it should take."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from testgate.shard.balance import balance, estimate, imbalance, lower_bound

__all__ = ["PlannedShard", "ShardPlan", "file_of", "make_plan"]

By = Literal["test", "file"]


def file_of(test: str, files: Mapping[str, str] | None = None, root: Path | None = None) -> str:
    """The file a test lives in: what the timings say, else the part of its id before
    ``::``: a pytest node id's path, or for a JUnit id (``pkg.test_m.TestK::t``) the module
    file that exists under *root* (``pkg/test_m.py``), else its class name."""
    if files and test in files:
        return files[test]
    scope, sep, _ = test.partition("::")
    if not (sep and scope):
        return test
    if root is not None and "/" not in scope and not scope.endswith(".py"):
        parts = scope.split(".")
        for i in range(len(parts), 0, -1):
            candidate = "/".join(parts[:i]) + ".py"
            if _is_file(root / candidate):
                return candidate
    return scope


@functools.lru_cache(maxsize=65536)
def _is_file(path: Path) -> bool:
    return path.is_file()


@dataclass(slots=True)
class PlannedShard:
    index: int  # 1-based, like pytest-split's --group
    tests: list[str]
    expected_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "tests": self.tests, "expected_s": round(self.expected_s, 6)}


@dataclass(slots=True)
class ShardPlan:
    """The split of a suite into shards."""

    shards: list[PlannedShard]
    by: By = "test"
    #: where the durations came from
    source: str = "none"
    #: ids (tests or files) whose duration was estimated
    estimated: list[str] = field(default_factory=list)
    #: the best any plan could do: max(total / shards, longest item)
    lower_bound_s: float = 0.0

    @property
    def total(self) -> int:
        return len(self.shards)

    @property
    def imbalance(self) -> float:
        """Largest shard / ideal share (1.0 is perfect)."""
        return imbalance([s.expected_s for s in self.shards])

    def assignment(self) -> dict[str, int]:
        """id -> 1-based shard."""
        return {t: s.index for s in self.shards for t in s.tests}

    def digest(self) -> str:
        """A short fingerprint of the split: equal on every machine that planned the same."""
        h = hashlib.sha256()
        for s in self.shards:
            h.update(f"{s.index}\0".encode())
            for t in sorted(s.tests):
                h.update(t.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shards": [s.to_dict() for s in self.shards],
            "imbalance": round(self.imbalance, 6),
            "by": self.by,
            "source": self.source,
            "estimated": len(self.estimated),
            "lower_bound_s": round(self.lower_bound_s, 6),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def make_plan(
    durations: Mapping[str, float],
    shards: int,
    *,
    tests: Iterable[str] | None = None,
    by: By = "test",
    files: Mapping[str, str] | None = None,
    source: str = "none",
    root: Path | None = None,
) -> ShardPlan:
    """Plan *shards* shards for *tests* (default: every test *durations* knows).

    A test the durations do not know is estimated (the median of its file, else of the
    suite); ``by="file"`` keeps each file's tests together and plans files (found under
    *root* for JUnit ids).
    """
    universe = list(dict.fromkeys(tests)) if tests is not None else list(durations)
    known = {t: float(durations[t]) for t in universe if t in durations}
    guessed = estimate(durations, (t for t in universe if t not in known))
    weights = {**known, **guessed}
    estimated = sorted(guessed)
    if by == "file":
        per_file: dict[str, float] = {}
        file_known: set[str] = set()
        for t, w in weights.items():
            f = file_of(t, files, root)
            per_file[f] = per_file.get(f, 0.0) + w
            if t in known:
                file_known.add(f)
        weights = per_file
        estimated = sorted(f for f in per_file if f not in file_known)
    bins = balance(weights, shards)
    planned = [
        PlannedShard(index=i + 1, tests=b, expected_s=sum(weights[t] for t in b))
        for i, b in enumerate(bins)
    ]
    return ShardPlan(
        shards=planned,
        by=by,
        source=source,
        estimated=estimated,
        lower_bound_s=lower_bound(weights.values(), shards),
    )
