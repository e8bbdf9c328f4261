"""Percentiles of raw samples: exact while they fit, a bounded-memory sketch beyond.

Percentile definition (the one of JMeter's Aggregate Report, ``StatCalculator.getPercentPoint``):
for *n* sorted samples and a fraction *p* < 1, the value at 1-based rank
``max(1, round_half_up(n * p))``; *p* >= 1 is the maximum. It is a nearest-rank method: every
percentile is a sample that really occurred, never an interpolation.

Exact mode keeps a count per distinct value (as JMeter does), so memory grows with the number of
*distinct* values, not samples: JMeter records whole milliseconds, so a 5-million-sample file
usually holds a few thousand distinct values and stays exact. When the distinct values of all
accumulators sharing one :class:`Budget` exceed its limit, every accumulator switches to a
:class:`LogHistogram`: logarithmic buckets that answer every percentile within a relative error
of :data:`RELATIVE_ERROR` (1%) of the exact same-rank value, in memory bounded by the value
range (about 1,200 buckets from 1 microsecond to 1 hour), whatever the sample count.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable

__all__ = [
    "DEFAULT_EXACT_LIMIT",
    "RELATIVE_ERROR",
    "Budget",
    "LogHistogram",
    "QuantileAccumulator",
    "nearest_rank",
    "percentile_of_sorted",
]

#: The sketch's guaranteed bound: |estimate - exact| <= RELATIVE_ERROR * exact.
RELATIVE_ERROR = 0.01

#: Distinct values kept exactly (per Budget) before switching to the sketch: about 10 MB.
DEFAULT_EXACT_LIMIT = 100_000


def nearest_rank(n: int, p: float) -> int:
    """JMeter's 1-based rank of percentile fraction *p* among *n* samples (``n * p`` rounded
    half up, at least 1, at most *n*)."""
    if p >= 1.0:
        return n
    return min(n, max(1, math.floor(n * p + 0.5)))


def percentile_of_sorted(values: list[float], p: float) -> float:
    """The exact percentile *p* (a fraction, 0.95) of already sorted *values* (non-empty)."""
    return values[nearest_rank(len(values), p) - 1]


def _from_counts(items: Iterable[tuple[float, int]], n: int, p: float) -> float:
    """The value at JMeter's rank for *p* walking ``(value, count)`` pairs in value order."""
    target = nearest_rank(n, p)
    last = math.nan
    for value, count in items:
        last = value
        target -= count
        if target <= 0:
            return value
    return last


class LogHistogram:
    """A log-bucketed histogram (the DDSketch idea) with relative error *alpha*.

    A positive value *x* goes to bucket ``ceil(log_gamma(x))`` with
    ``gamma = (1 + alpha) / (1 - alpha)``, so bucket *i* holds ``(gamma**(i-1), gamma**i]``;
    its representative ``2 * gamma**i / (gamma + 1)`` is within ``alpha`` relative error of every
    value in it. Buckets keep the order of values, so the bucket found at a rank holds the exact
    value of that rank, and the estimate is within ``alpha`` of it. Values <= 0 (a 0 ms sample)
    are counted apart and estimated as exactly 0.
    """

    __slots__ = ("_gamma", "_log_gamma", "alpha", "buckets", "count", "zeros")

    def __init__(self, alpha: float = RELATIVE_ERROR) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha={alpha} must lie strictly between 0 and 1")
        self.alpha = alpha
        self._gamma = (1.0 + alpha) / (1.0 - alpha)
        self._log_gamma = math.log(self._gamma)
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0

    def add(self, value: float, count: int = 1) -> None:
        self.count += count
        if value <= 0.0:
            self.zeros += count
            return
        key = math.ceil(math.log(value) / self._log_gamma)
        self.buckets[key] = self.buckets.get(key, 0) + count

    def merge(self, other: LogHistogram) -> None:
        """Add *other*'s samples (same *alpha*): buckets line up, so this loses nothing."""
        if other.alpha != self.alpha:
            raise ValueError("cannot merge histograms of different relative error")
        self.count += other.count
        self.zeros += other.zeros
        for key, count in other.buckets.items():
            self.buckets[key] = self.buckets.get(key, 0) + count

    def _estimate(self, key: int) -> float:
        return 2.0 * self._gamma**key / (self._gamma + 1.0)

    def quantile(self, p: float) -> float:
        """The estimate of percentile fraction *p*; NaN when empty."""
        if self.count == 0:
            return math.nan
        items: list[tuple[float, int]] = [(0.0, self.zeros)] if self.zeros else []
        items.extend((self._estimate(k), self.buckets[k]) for k in sorted(self.buckets))
        return _from_counts(items, self.count, p)


class Budget:
    """How many distinct values all accumulators of one file may keep exactly, together."""

    __slots__ = ("exhausted", "limit", "used")

    def __init__(self, limit: int = DEFAULT_EXACT_LIMIT) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = limit <= 0


class QuantileAccumulator:
    """Collects samples and answers percentiles: exact within the budget, sketched beyond.

    Once the shared budget is exhausted every accumulator spills into its sketch on its next
    ``add``; results stay exact for one that never grew (its counts are still exact).
    """

    __slots__ = ("_budget", "_counts", "_sketch", "count", "max", "min")

    def __init__(self, budget: Budget | None = None) -> None:
        self._budget = budget or Budget()
        self._counts: dict[float, int] | None = {}
        self._sketch: LogHistogram | None = None
        self.count = 0
        self.min = math.inf
        self.max = -math.inf
        if self._budget.exhausted:
            self._spill()

    @property
    def exact(self) -> bool:
        """True while every percentile this returns is exact."""
        return self._counts is not None

    def _spill(self) -> None:
        sketch = LogHistogram()
        if self._counts:
            for value, count in self._counts.items():
                sketch.add(value, count)
        self._counts = None
        self._sketch = sketch

    def add(self, value: float) -> None:
        self.count += 1
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        counts = self._counts
        if counts is not None:
            old = counts.get(value)
            if old is not None:
                counts[value] = old + 1
                return
            budget = self._budget
            if not budget.exhausted:
                budget.used += 1
                if budget.used > budget.limit:
                    budget.exhausted = True
                else:
                    counts[value] = 1
                    return
            self._spill()
        assert self._sketch is not None
        self._sketch.add(value)

    @classmethod
    def merged(cls, parts: Iterable[QuantileAccumulator]) -> QuantileAccumulator:
        """One accumulator of all *parts*' samples: exact if every part is, else sketched.

        Cheaper than feeding every sample to a second accumulator: a file's per-label
        accumulators merge into its all-samples one at the end. The exact union holds no more
        distinct values than its parts together, so it is not charged to any budget.
        """
        acc = cls(Budget(sys.maxsize))
        for part in parts:
            acc.count += part.count
            acc.min = min(acc.min, part.min)
            acc.max = max(acc.max, part.max)
            if part._counts is not None and acc._counts is not None:
                counts = acc._counts
                for value, count in part._counts.items():
                    counts[value] = counts.get(value, 0) + count
                continue
            if acc._counts is not None:
                acc._spill()
            assert acc._sketch is not None
            if part._counts is not None:
                for value, count in part._counts.items():
                    acc._sketch.add(value, count)
            else:
                assert part._sketch is not None
                acc._sketch.merge(part._sketch)
        return acc

    def quantile(self, p: float) -> float | None:
        """Percentile fraction *p* (0.95 for p95), or None without samples."""
        if self.count == 0:
            return None
        if p >= 1.0:
            return self.max
        if self._counts is not None:
            return _from_counts(sorted(self._counts.items()), self.count, p)
        assert self._sketch is not None
        # the true value lies in [min, max]; clamping can only bring the estimate closer
        return min(self.max, max(self.min, self._sketch.quantile(p)))
