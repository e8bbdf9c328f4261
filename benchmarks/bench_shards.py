"""Shard balance, static plans against Dask's dynamic scheduling, and a cluster's speed-up.

(a) Imbalance (largest shard / ideal share) at 2, 8 and 32 shards on 5,000 heavy-tailed
    timings: testgate's planner (LPT + local search), plain LPT, and pytest-split's two
    algorithms (``least_duration`` and ``duration_based_chunks``, from PyPI), called on the
    same timings in this one process; against the lower bound max(total / shards, longest).
    The planning time of ``testgate shard plan`` is measured as a whole process.
(b) The same plans replayed with real durations perturbed by +-30 % noise, as sleeping tasks
    on an in-process Dask cluster of N single-threaded workers: static (each shard's tests run
    in order on its own worker, as N CI machines would) against dynamic (one task per test,
    longest first; Dask hands the next test to whichever worker is free and steals work from
    busy ones). Durations are scaled so that an ideal shard takes a few seconds.
(c) Wall-clock time of a real pytest suite (4 steps of sleeping tests: I/O-bound like an
    integration suite, so that the figure measures the executor and not the machine's load)
    with ``testgate run --executor dask-local:1`` and ``dask-local:2``, cluster start included,
    interleaved.

Usage: python benchmarks/bench_shards.py [--quick]      (needs: pip install pytest-split dask)
Writes benchmarks/results/shards.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

from testgate.shard.balance import balance, lower_bound

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

PY = sys.executable


def heavy_tailed(n: int, seed: int = 20261204, cap: float = 120.0) -> dict[str, float]:
    """*n* test timings: most tests take milliseconds, a tail (Pareto, alpha 1.2) takes
    seconds up to *cap*, spread over n / 20 files."""
    rng = random.Random(seed)
    out: dict[str, float] = {}
    for i in range(n):
        d = rng.lognormvariate(-4.0, 1.2)  # ~20 ms median
        if rng.random() < 0.08:
            d += min(rng.paretovariate(1.2) * 0.5, cap)
        out[f"tests/test_f{i % (n // 20)}.py::test_{i}"] = round(d, 6)
    return out


def loads(weights: dict[str, float], bins: list[list[str]]) -> list[float]:
    return [sum(weights[t] for t in b) for b in bins]


def pytest_split_bins(weights: dict[str, float], shards: int, name: str) -> list[list[str]]:
    from pytest_split.algorithms import Algorithms

    items = [SimpleNamespace(nodeid=k) for k in weights]  # collection order = file order
    groups = Algorithms[name].value(shards, items, weights)
    return [[it.nodeid for it in g.selected] for g in groups]


def part_a(weights: dict[str, float], label: str, rows: list[str]) -> dict[int, list[list[str]]]:
    plans: dict[int, list[list[str]]] = {}
    total = sum(weights.values())
    for n in (2, 8, 32):
        ideal = total / n
        lb = lower_bound(weights.values(), n)
        ours = balance(weights, n)
        plans[n] = ours
        lpt = balance(weights, n, improve=False)
        ld = pytest_split_bins(weights, n, "least_duration")
        dbc = pytest_split_bins(weights, n, "duration_based_chunks")
        assert sorted(t for b in ld for t in b) == sorted(weights)
        cells = [max(loads(weights, b)) / ideal for b in (ours, lpt, ld, dbc)]
        rows.append(
            f"| {label} | {n} | {lb / ideal:.6f} | **{cells[0]:.6f}** | {cells[1]:.6f} | "
            f"{cells[2]:.6f} | {cells[3]:.6f} | {max(loads(weights, ours)) / lb:.6f} |"
        )
    return plans


def plan_process(weights: dict[str, float], reps: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".test_durations"
        path.write_text(json.dumps(weights))
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(reps):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                [
                    PY,
                    "-m",
                    "testgate",
                    "shard",
                    "plan",
                    "--shards",
                    "32",
                    "--durations",
                    str(path),
                    "--json",
                ],
                cwd=tmp,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            wall.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return (
        f"`testgate shard plan --shards 32` over the 5,000 timings as a whole process: CPU "
        f"min/median/max {min(cpu):.2f}/{statistics.median(cpu):.2f}/{max(cpu):.2f} s, wall "
        f"median {statistics.median(wall):.2f} s ({reps} runs, interpreter start included)."
    )


def _speed(slow: dict[str, float]) -> float:
    """How much slower the worker running this task is (a noisy neighbour, an older node)."""
    if not slow:
        return 1.0
    from distributed import get_worker

    return slow.get(get_worker().address, 1.0)


def _sleep_all(durations: list[float], slow: dict[str, float]) -> float:
    t0 = time.perf_counter()
    factor = _speed(slow)
    for d in durations:
        time.sleep(d * factor)
    return time.perf_counter() - t0


def _sleep_one(d: float) -> float:
    time.sleep(d)
    return d


def _batches(order: list[str], weights: dict[str, float], size: float) -> list[list[str]]:
    """Consecutive runs of *order* (longest first) of about *size* expected seconds each."""
    out: list[list[str]] = []
    cur: list[str] = []
    acc = 0.0
    for t in order:
        cur.append(t)
        acc += weights[t]
        if acc >= size:
            out.append(cur)
            cur, acc = [], 0.0
    if cur:
        out.append(cur)
    return out


def part_b(weights: dict[str, float], plans: dict[int, list[list[str]]], reps: int) -> list[str]:
    import logging

    from distributed import Client, LocalCluster, wait

    rows = [
        "| shards = workers | noise | ideal (actual) | static plan, computed | static, measured "
        "| dynamic, batches, measured | dynamic, one task per test, measured |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    files = sorted({t.partition("::")[0] for t in weights})
    for n, bins in plans.items():
        total = sum(weights.values())
        scale = 3.0 * n / total  # an ideal shard takes 3 s of sleeping
        order = sorted(weights, key=lambda t: (-weights[t], t))
        # batches of about 1/20 of an ideal shard, longest first: work to hand out while
        # keeping Dask's per-task cost (milliseconds) small beside each task's duration
        batches = _batches(order, weights, total / n / 20)
        for noise in ("per test", "per file", "one worker 1.3x slower"):
            rng = random.Random(7)
            if noise == "per file":
                factor = {f: rng.uniform(0.7, 1.3) for f in files}
                actual = {t: w * scale * factor[t.partition("::")[0]] for t, w in weights.items()}
            else:
                actual = {t: w * scale * rng.uniform(0.7, 1.3) for t, w in weights.items()}
            slowdown = 1.3 if noise.startswith("one worker") else 1.0
            speeds = [slowdown] + [1.0] * (n - 1)
            capacity = sum(1 / x for x in speeds)  # workers' combined speed
            ideal = max(sum(actual.values()) / capacity, max(actual.values()))
            computed = max(sum(actual[t] for t in b) * speeds[i] for i, b in enumerate(bins))
            statics: list[float] = []
            dynamics: list[float] = []
            per_test: list[float] = []
            with (
                LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=False,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                ) as cluster,
                Client(cluster) as client,
            ):
                workers = sorted(client.scheduler_info()["workers"])
                slow = {workers[0]: slowdown} if slowdown != 1.0 else {}
                for rep in range(reps):  # interleaved
                    t0 = time.perf_counter()
                    futs = [
                        client.submit(
                            _sleep_all,
                            [actual[t] for t in b],
                            slow,
                            workers=[w],
                            allow_other_workers=False,
                            pure=False,
                        )
                        for b, w in zip(bins, workers, strict=True)
                    ]
                    wait(futs)
                    statics.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    futs = [
                        client.submit(
                            _sleep_all,
                            [actual[t] for t in b],
                            slow,
                            priority=len(batches) - i,
                            pure=False,
                        )
                        for i, b in enumerate(batches)
                    ]
                    wait(futs)
                    dynamics.append(time.perf_counter() - t0)
                    if rep == 0 and noise == "per test":
                        t0 = time.perf_counter()
                        futs = [
                            client.submit(
                                _sleep_one, actual[t], priority=len(order) - i, pure=False
                            )
                            for i, t in enumerate(order)
                        ]
                        wait(futs)
                        per_test.append(time.perf_counter() - t0)
            s, d = statistics.median(statics), statistics.median(dynamics)
            pt = f"{per_test[0]:.2f} s" if per_test else "-"
            rows.append(
                f"| {n} | {noise} | {ideal:.2f} s | {computed:.2f} s | {s:.2f} s "
                f"({min(statics):.2f}-{max(statics):.2f}) | {d:.2f} s ({min(dynamics):.2f}-"
                f"{max(dynamics):.2f}) | {pt} |"
            )
            print(rows[-1], flush=True)
    return rows


def _suite(root: Path, steps: int, per_step: int, sleep: float) -> None:
    for s in range(steps):
        body = ["import time", ""]
        for i in range(per_step):
            body += [f"def test_{i}():", f"    time.sleep({sleep})", ""]
        (root / f"tests{s}").mkdir(parents=True)
        (root / f"tests{s}" / "test_part.py").write_text("\n".join(body))
    (root / "testgate.yaml").write_text(
        textwrap.dedent(
            f"""
            pipeline:
              stages:
                - name: test
                  steps:
                    - name: part
                      matrix: {{n: {list(range(steps))}}}
                      run: >-
                        {PY} -m pytest -q -p no:cacheprovider
                        --junitxml=reports/j${{{{ matrix.n }}}}.xml tests${{{{ matrix.n }}}}
                      reports: ["reports/j${{{{ matrix.n }}}}.xml"]
            """
        )
    )


def part_c(reps: int) -> list[str]:
    rows = [
        "| executor | wall min / median / max | tests |",
        "| --- | --- | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _suite(root, steps=4, per_step=20, sleep=0.5)
        times: dict[str, list[float]] = {"dask-local:1": [], "dask-local:2": []}
        counts: dict[str, int] = {}
        for _ in range(reps):
            for spec in times:
                t0 = time.perf_counter()
                subprocess.run(
                    [PY, "-m", "testgate", "run", "-q", "--no-record", "--executor", spec],
                    cwd=root,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                times[spec].append(time.perf_counter() - t0)
                doc = json.loads((root / ".testgate/latest/summary.json").read_text())
                counts[spec] = len(doc["tests"])
        for spec, ts in times.items():
            rows.append(
                f"| `{spec}` | {min(ts):.2f} / {statistics.median(ts):.2f} / {max(ts):.2f} s "
                f"| {counts[spec]} |"
            )
        one = statistics.median(times["dask-local:1"])
        two = statistics.median(times["dask-local:2"])
        rows.append("")
        rows.append(f"Speed-up of 2 workers over 1: **{one / two:.2f}x** (medians).")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    compile_sources()
    reps = 1 if args.quick else 3
    load = os.getloadavg()
    weights = heavy_tailed(5000)
    a_rows = [
        "| timings | shards | lower bound | testgate | plain LPT | pytest-split least_duration "
        "| pytest-split duration_based_chunks | testgate / lower bound |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    plans = part_a(weights, "tail up to 120 s", a_rows)
    part_a(heavy_tailed(5000, seed=7, cap=8.0), "tail up to 8 s", a_rows)
    print("\n".join(a_rows), flush=True)
    plan_note = plan_process(weights, reps)
    print(plan_note, flush=True)
    b_rows = part_b(weights, plans, reps)
    print("\n".join(b_rows), flush=True)
    c_rows = part_c(max(2, reps))
    print("\n".join(c_rows), flush=True)
    load_after = os.getloadavg()
    total = sum(weights.values())
    longest = max(weights.values())
    text = f"""## Shards and the Dask executor (`benchmarks/bench_shards.py`)

Machine: {os.cpu_count()} cores, shared; load average {load[0]:.2f} / {load[1]:.2f} /
{load[2]:.2f} before the run and {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}
after (`uptime`). Python {sys.version.split()[0]}. Reproduce: `python benchmarks/bench_shards.py`.

### (a) Balance: largest shard / ideal share

5,000 heavy-tailed test timings (lognormal around 20 ms, 8 % with a Pareto tail; {total:.0f} s
in all, the longest {longest:.1f} s), and a second set whose tail stops at 8 s (so that at 32
shards the ideal share, not the longest test, is the bound); all planners on the same timings
in one process. The lower bound is max(total / shards, longest test) over the ideal share.

{chr(10).join(a_rows)}

{plan_note}

### (b) Static plans against Dask's dynamic scheduling, with +-30 % noise

The plans of (a) replayed as sleeping tasks, every test's real duration its recorded one times
a uniform factor in [0.7, 1.3] (seeded; drawn per test, or once per file so that a whole file
gets slower or faster; or per test with one of the workers running everything 1.3x slower, as
a CI machine with a noisy neighbour does), scaled so that an ideal shard takes 3 s; an in-process `LocalCluster`
with one single-threaded worker per shard. Static: each shard's tests in order on its own
worker. Dynamic: the tests longest first in batches of about 1/20 of an ideal shard, handed to
whichever worker is free (Dask's queueing and work stealing); and once, one task per test.
Median of {reps} interleaved repetitions (min-max in brackets).

{chr(10).join(b_rows)}

### (c) A real suite on a 2-worker cluster against 1 worker

4 pytest steps of 20 tests that each sleep 0.5 s (40 s of test time), `testgate run -q
--no-record --executor dask-local:N`, the cluster's start and stop included, interleaved.

{chr(10).join(c_rows)}
"""
    out = HERE / "results" / "shards.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
