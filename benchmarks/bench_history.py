"""History benchmark: recording rate, query times over a large history, and the precision and
recall of the flaky and broken classification on a synthetic history with known answers.

Usage: .venv/bin/python benchmarks/bench_history.py [--quick] [--pg URL] [--runs N] [--tests N]

* Recording: runs of 10,000 tests recorded one after another into a fresh SQLite file (and
  PostgreSQL when a URL is given or TESTGATE_TEST_POSTGRES_URL is set), against the peer
  "plain SQLAlchemy Core executemany with dict rows" inserting the same result rows.
* A synthetic history of RUNS runs x TESTS tests (1,000 x 10,000 = 10M results by default):
  1 % of the tests flaky with failure rates spread from 1 % to 30 %, 0.2 % broken from a
  random commit on, five outage runs where 80 % of tests errored, 0.5 % of the tests twice
  as slow over the last 15 runs; the rest healthy.
* Queries: ``testgate flaky`` (window 50 and the whole history) and ``testgate slow``
  (window 50), median of three.
* Classification over the whole history against the injected truth, side by side with the
  naive rule many CI dashboards use (a test with both a pass and a failure is flaky).

Writes benchmarks/results/history.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

sys.path.insert(0, str(HERE.parent / "src"))

from testgate.history import open_store  # noqa: E402
from testgate.history import schema as S  # noqa: E402
from testgate.history.flaky import FlakyParams, find_flaky  # noqa: E402
from testgate.history.slow import SlowParams, find_slow  # noqa: E402
from testgate.model import Run, TestCase, VcsInfo  # noqa: E402


def make_run(i: int, n: int, rng: random.Random, truth: dict[str, Any], runs: int) -> Run:
    flaky: dict[int, float] = truth["flaky"]
    broken: dict[int, int] = truth["broken"]
    slow: set[int] = truth["slow"]
    outage = i in truth["outages"]
    tests = []
    rand = rng.random
    for k in range(n):
        status = "passed"
        if (k in flaky and rand() < flaky[k]) or (k in broken and i >= broken[k]):
            status = "failed"
        if outage and rand() < 0.8:
            status = "error"
        d = truth["base"][k] * (2.0 if k in slow and i >= runs - 15 else 1.0) * (0.9 + 0.2 * rand())
        tests.append(TestCase("unit", f"pkg.mod{k // 100}", f"test_{k}", status, d))
    return Run(
        id=f"run-{i:05d}",
        project="bench",
        started_at=_ts(i),
        vcs=VcsInfo(commit=f"{i:040x}", branch="main"),
        tests=tests,
        metrics={"tests.total": float(n)},
    )


def _ts(i: int) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=10 * i)).isoformat()


def make_truth(n: int, runs: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    ids = list(range(n))
    rng.shuffle(ids)
    nf, nb, ns = max(10, n // 100), max(4, n // 500), max(5, n // 200)
    flaky_ids, broken_ids, slow_ids = ids[:nf], ids[nf : nf + nb], ids[nf + nb : nf + nb + ns]
    return {
        # failure rates spread evenly over 1 % .. 30 %
        "flaky": {k: 0.01 + 0.29 * j / (nf - 1) for j, k in enumerate(flaky_ids)},
        "broken": {k: rng.randrange(runs // 2, runs - 10) for k in broken_ids},
        "slow": set(slow_ids),
        "outages": set(rng.sample(range(runs // 10, runs - 20), 5)),
        # a few milliseconds typically; the tests that will slow down take 0.1 s or more
        "base": [max(rng.lognormvariate(-4, 1.2), 0.1 if k in slow_ids else 0.0) for k in range(n)],
    }


def pr(found: set[str], truth: set[str]) -> tuple[float, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall


def bench_recording(url: str, n: int, count: int, label: str) -> dict[str, Any]:
    truth = make_truth(n, 100)
    rng = random.Random(2)
    runs = [make_run(i, n, rng, truth, 100) for i in range(count + 1)]
    with open_store(url) as store:
        store.record(runs[0])  # the first run also fills the test dimension
        t = time.perf_counter()
        for r in runs[1:]:
            store.record(r)
        ours = count * n / (time.perf_counter() - t)
        # the peer: the same result rows through SQLAlchemy Core's default executemany of dicts
        # (attached to the first run, with ids beyond any real run; rolled back afterwards)
        first = store.runs(limit=count + 1)[-1].pk
        rows = [
            {
                "id": ((10_000 + j) << S.RESULT_ID_BITS) + k,
                "run_id": first,
                "test": k + 1,
                "status": 0,
                "duration_s": 0.01,
                "attempts": 1,
                "flaky": False,
                "message": None,
            }
            for j in range(count)
            for k in range(n)
        ]
        with store.engine.connect() as conn:
            trans = conn.begin()
            t = time.perf_counter()
            for j in range(count):
                conn.execute(S.results.insert(), rows[j * n : (j + 1) * n])
            peer = count * n / (time.perf_counter() - t)
            trans.rollback()
    return {"label": label, "ours": ours, "peer": peer, "runs": count, "tests": n}


def pg_schema(base: str) -> tuple[str, Any]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def median_time(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="200 runs x 2,000 tests")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--tests", type=int, default=None)
    ap.add_argument("--pg", default=os.environ.get("TESTGATE_TEST_POSTGRES_URL"))
    ap.add_argument("--out", default=str(HERE / "results" / "history.md"))
    args = ap.parse_args()
    compile_sources()
    runs = args.runs or (200 if args.quick else 1000)
    n = args.tests or (2000 if args.quick else 10_000)
    rec_n, rec_count = (2000, 5) if args.quick else (10_000, 10)
    lines: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-history-"))

    # 1. recording rate
    rec = [bench_recording(f"sqlite:///{tmp / 'rec.db'}", rec_n, rec_count, "SQLite (WAL)")]
    drop = None
    if args.pg:
        url, drop = pg_schema(args.pg)
        try:
            rec.append(bench_recording(url, rec_n, rec_count, "PostgreSQL 15"))
        finally:
            drop()
    for r in rec:
        print(
            f"record {r['label']}: {r['ours']:,.0f} results/s (peer {r['peer']:,.0f})", flush=True
        )

    # 2. the big history
    truth = make_truth(n, runs)
    rng = random.Random(3)
    db = tmp / "big.db"
    t0 = time.perf_counter()
    gen = 0.0
    with open_store(f"sqlite:///{db}") as store:
        for i in range(runs):
            t = time.perf_counter()
            run = make_run(i, n, rng, truth, runs)
            gen += time.perf_counter() - t
            store.record(run)
            if i % 100 == 99:
                print(f"  {i + 1} runs recorded ({time.perf_counter() - t0:.0f}s)", flush=True)
        build_s = time.perf_counter() - t0
        record_s = build_s - gen
        size_mb = db.stat().st_size / 1e6

        # 3. queries
        q_flaky50, _ = median_time(lambda: find_flaky(store, FlakyParams(window=50)))
        q_flaky_all, report = median_time(lambda: find_flaky(store, FlakyParams(window=runs)))
        q_slow50, slow = median_time(lambda: find_slow(store, SlowParams(window=50)))
        q_last, _ = median_time(lambda: store.last_run("main"))
        # the naive peer over the same window: every test with both outcomes is flaky
        w = store.results_window(None, runs, unhealthy_only=True)
        naive = {
            tid for tid, obs in w.outcomes.items() if {o[1] in (1, 2) for o in obs} == {True, False}
        }

    name = lambda k: f"pkg.mod{k // 100}::test_{k}"  # noqa: E731
    true_flaky = {name(k) for k in truth["flaky"]}
    true_broken = {name(k) for k in truth["broken"]}
    f_p, f_r = pr({v.test for v in report.flaky}, true_flaky)
    b_p, b_r = pr({v.test for v in report.broken}, true_broken)
    since_ok = sum(
        1
        for v in report.broken
        if v.test in true_broken
        and v.since_commit == f"{truth['broken'][int(v.test.rsplit('_', 1)[1])]:040x}"
    )
    n_p, n_r = pr(naive, true_flaky)
    nb_p, nb_r = pr(naive, true_broken)
    true_slow = {name(k) for k in truth["slow"]}
    s_p, s_r = pr({t.test for t in slow.rising}, true_slow)

    total = runs * n
    lines += [
        "## History: recording, queries, flaky and broken classification",
        "",
        f"`benchmarks/bench_history.py{' --quick' if args.quick else ''}`, measured "
        f"{time.strftime('%Y-%m-%d')} on the shared 2-core machine (other engineers' jobs ran at "
        "the same time, so rates are lower bounds).",
        "",
        f"### Recording rate ({rec_count} runs of {rec_n:,} tests, one transaction each)",
        "",
        "| store | testgate `record` (whole run: run row, test-id upsert, results, metrics) | peer: SQLAlchemy Core executemany of dicts (results rows only) | goal |",
        "| --- | ---: | ---: | --- |",
    ]
    for r in rec:
        goal = ">= 200,000 results/s" if r["label"].startswith("SQLite") else "-"
        lines.append(
            f"| {r['label']} | {r['ours']:,.0f} results/s | {r['peer']:,.0f} rows/s | {goal} |"
        )
    if not args.pg:
        lines.append("| PostgreSQL | not measured (no URL given) | | |")
    lines += [
        "",
        f"### Queries over {runs:,} runs x {n:,} tests ({total / 1e6:.1f}M results, SQLite file {size_mb:,.0f} MB)",
        "",
        f"Building the history took {build_s:.0f} s ({gen:.0f} s generating the runs in Python, "
        f"{record_s:.0f} s recording: {total / record_s:,.0f} results/s sustained as the file grows; "
        "each run adds one entry per test to the per-test (test, run) index, one page per test, "
        "so the rate falls once that index outgrows the page cache: a run of "
        f"{n:,} tests still records in {n / (total / record_s):.2f} s).",
        "",
        "| query | time (median of 3) | goal |",
        "| --- | ---: | --- |",
        f"| `testgate flaky`, window 50 runs | {q_flaky50:.3f} s | < 1 s |",
        f"| `testgate flaky`, window {runs:,} runs (the whole history) | {q_flaky_all:.3f} s | < 1 s |",
        f"| `testgate slow`, window 50 runs ({50 * n:,} durations) | {q_slow50:.3f} s | < 1 s |",
        f"| `last_run('main')` (the gates' baseline, {n:,} tests) | {q_last:.3f} s | - |",
        "",
        f"### Classification over the whole history ({len(true_flaky)} flaky tests at 1-30 %, "
        f"{len(true_broken)} broken, {len(truth['outages'])} outage runs, the rest healthy)",
        "",
        "| classifier | flaky precision | flaky recall | broken precision | broken recall |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| testgate (flip rate, EW flip rate, streak test, outage exclusion) | {f_p:.3f} | {f_r:.3f} | {b_p:.3f} | {b_r:.3f} |",
        f"| naive: both a pass and a failure = flaky (no broken class) | {n_p:.3f} | {n_r:.3f} | - | - |",
        "",
        f"testgate named the exact breaking commit for {since_ok} of {len(true_broken)} broken tests. "
        f"The naive rule calls {len(naive & true_broken)} of the broken tests and "
        f"{len(naive - true_flaky - true_broken)} healthy tests (failures in outage runs) flaky. "
        f"Slowing tests (2x over the last 15 runs, `testgate slow` window 50, `--factor 1.5`): "
        f"precision {s_p:.3f}, "
        f"recall {s_r:.3f}. Goals: >= 0.95 for both classes.",
        "",
    ]
    del nb_p, nb_r
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
