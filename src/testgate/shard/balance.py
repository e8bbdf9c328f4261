"""Balanced shards from known durations: longest processing time first, then local search.

:func:`balance` puts each item, longest first, on the shard with the least expected time so
far (LPT, Graham 1969), then improves the result: while moving one item, or swapping two,
between the heaviest shard and a lighter one lowers the heaviest shard's time, it does so.
The search only ever accepts a strictly better pair, so the result is never worse than LPT
(nor than pytest-split's ``least_duration``, which is LPT with a different tie order), and on
real suites it ends within a fraction of a percent of the lower bound
``max(total / shards, longest item)`` (see ``benchmarks/bench_shards.py``).

Everything is deterministic: ties are broken by item id and shard number, so the same input
gives the same plan on every machine, which is what lets N CI jobs each compute the plan and
run only their own part of it.
"""

from __future__ import annotations

import heapq
import statistics
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["balance", "estimate", "group_keys", "imbalance", "lower_bound"]

#: local search steps at most (each lowers the heaviest shard; the bound only guards time)
_MAX_STEPS = 20_000


def group_keys(item: str) -> list[str]:
    """The groups an item belongs to, most specific first: its file, then wider scopes.

    ``tests/test_a.py::TestX::test_y[1]`` (a pytest node id) -> ``["tests/test_a.py"]``;
    ``tests.test_a.TestX::test_y`` (a testgate/JUnit id) -> ``["tests.test_a.TestX",
    "tests.test_a", "tests"]``; an id without ``::`` has no group.
    """
    scope, sep, _ = item.partition("::")
    if not sep or not scope:
        return []
    if "/" in scope or scope.endswith(".py"):
        return [scope]
    parts = scope.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def estimate(known: Mapping[str, float], unknown: Iterable[str]) -> dict[str, float]:
    """An expected duration for each *unknown* item: the median of the known items of its
    file (or the nearest wider scope), else the median of every known item, else 1 s (with no
    timings at all every item weighs the same and the shards are balanced by count)."""
    todo = [u for u in unknown if u not in known]
    if not todo:
        return {}
    if not known:
        return dict.fromkeys(todo, 1.0)
    suite = statistics.median(known.values())
    groups: dict[str, list[float]] = {}
    wanted = {k for u in todo for k in group_keys(u)}
    if wanted:
        for item, d in known.items():
            for k in group_keys(item):
                if k in wanted:
                    groups.setdefault(k, []).append(d)
    medians = {k: statistics.median(v) for k, v in groups.items()}
    out: dict[str, float] = {}
    for u in todo:
        out[u] = next((medians[k] for k in group_keys(u) if k in medians), suite)
    return out


def lower_bound(weights: Iterable[float], shards: int) -> float:
    """No plan can do better than this: the ideal share or the longest item."""
    values = list(weights)
    if not values:
        return 0.0
    return max(sum(values) / shards, max(values))


def imbalance(loads: Sequence[float]) -> float:
    """Largest shard / ideal share (1.0 is perfect; 1.0 when there is no work)."""
    total = sum(loads)
    if total <= 0 or not loads:
        return 1.0
    return max(loads) / (total / len(loads))


def _lpt(items: list[tuple[float, str]], shards: int) -> list[list[tuple[float, str]]]:
    # (load, count, index): equal loads (zero-length items) go round-robin, so no shard is
    # left empty while another holds two items
    heap = [(0.0, 0, i) for i in range(shards)]
    out: list[list[tuple[float, str]]] = [[] for _ in range(shards)]
    for w, item in items:
        load, count, i = heapq.heappop(heap)
        out[i].append((w, item))
        heapq.heappush(heap, (load + w, count + 1, i))
    return out


def _best_change(
    heavy: list[tuple[float, str]], light: list[tuple[float, str]], gap: float
) -> tuple[float, int, int] | None:
    """The move (``j == -1``) or swap that brings the two shards closest to even.

    Returns ``(delta, i, j)``: item *i* of *heavy* goes to *light* (and item *j* of *light* to
    *heavy*), moving *delta* seconds, with ``0 < delta < gap``. *heavy* and *light* are sorted.
    """
    target = gap / 2
    best: tuple[float, int, int] | None = None
    best_err = gap / 2  # a change must move strictly between 0 and gap

    def consider(delta: float, i: int, j: int) -> None:
        nonlocal best, best_err
        if 0 < delta < gap:
            err = abs(delta - target)
            if err < best_err:
                best, best_err = (delta, i, j), err

    hw = [w for w, _ in heavy]
    if len(heavy) > 1:  # a move may not leave a shard empty
        k = bisect_left(hw, target)
        for i in (k - 1, k):
            if 0 <= i < len(hw):
                consider(hw[i], i, -1)
    lw = [w for w, _ in light]
    if lw:
        for i, a in enumerate(hw):
            want = a - target
            k = bisect_left(lw, want)
            for j in (k - 1, k):
                if 0 <= j < len(lw):
                    consider(a - lw[j], i, j)
            if best_err == 0:
                break
    return best


def _improve(bins: list[list[tuple[float, str]]]) -> None:
    """Lower the heaviest shard by moves and swaps until none helps (in place)."""
    for b in bins:
        b.sort()
    loads = [sum(w for w, _ in b) for b in bins]
    total = sum(loads)
    eps = 1e-12 * max(total, 1.0)
    for _ in range(_MAX_STEPS):
        h = max(range(len(bins)), key=lambda i: (loads[i], -i))
        changed = False
        for li in sorted(range(len(bins)), key=lambda i: (loads[i], i)):
            gap = loads[h] - loads[li]
            if li == h or gap <= eps:
                break
            change = _best_change(bins[h], bins[li], gap)
            if change is None:
                continue
            delta, i, j = change
            if max(loads[h] - delta, loads[li] + delta) >= loads[h] - eps:
                continue
            moved = bins[h].pop(i)
            if j >= 0:
                back = bins[li].pop(j)
                bins[h].insert(bisect_left(bins[h], back), back)
            bins[li].insert(bisect_left(bins[li], moved), moved)
            loads[h] = sum(w for w, _ in bins[h])
            loads[li] = sum(w for w, _ in bins[li])
            changed = True
            break
        if not changed:
            return


def balance(weights: Mapping[str, float], shards: int, *, improve: bool = True) -> list[list[str]]:
    """Split the items of *weights* (id -> expected seconds) into *shards* lists.

    Longest first onto the lightest shard, then (with *improve*) the local search. Each list
    keeps the longest items first (the order a shard should run them in to finish early
    when it fails fast). No shard is empty while there are at least as many items as shards.
    """
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    items = sorted(((max(0.0, float(w)), k) for k, w in weights.items()), key=_longest_first)
    bins = _lpt(items, shards)
    if improve and shards > 1 and len(items) > shards:
        _improve(bins)
    return [[k for _, k in sorted(b, key=_longest_first)] for b in bins]


def _longest_first(pair: tuple[float, str]) -> tuple[float, str]:
    return (-pair[0], pair[1])
