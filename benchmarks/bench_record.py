"""Recording one 10,000-test run into SQLite: testgate against SQLAlchemy Core executemany.

Usage: .venv/bin/python benchmarks/bench_record.py [--quick] [--repeat N] [--tests N] [--baseline REV]

Two comparisons, both on a SQLite file in WAL mode with ``synchronous = NORMAL`` on both sides
(the durability testgate promises: a committed run survives a kill -9), both interleaved
(testgate, peer, testgate, peer...), CPU time (user + system), min / median / max:

* **In-process** (the issue's figure): in one process holding the runs in memory, testgate's
  ``HistoryStore.record(run)`` (the whole run: duplicate merging, the run row with its meta
  and Prometheus aggregate, the test-id lookup, the results, the metrics, the commit) against
  the peer: a run row, then the same number of result rows (built beforehand, as plain dicts,
  outside the timing) through SQLAlchemy Core ``conn.execute(results.insert(), rows)``, then
  the commit. Both write into the same store, one after the other. A third side, the floor,
  inserts the same rows as ready tuples with testgate's own bulk insert (run row, results,
  commit; no lookup, no row building): no recorder doing the peer's SQLite work goes below it,
  so peer / floor bounds the ratio any recorder can reach. Batches run in child processes,
  so that ``--baseline REV`` runs the same batches with testgate's sources at REV, interleaved.
* **Whole process**: ``testgate history record summary.json --db ... --no-notify`` against
  ``python bench_record.py --peer summary.json db``: a process that imports SQLAlchemy and
  testgate's table definitions (``history/schema.py`` loaded from its file, none of testgate's
  package), reads the same summary.json with ``json.load``, and in one transaction inserts
  the run row, looks the test ids up (adding the new ones), inserts the result rows and the
  metrics, each with Core executemany of dicts, and commits. It does not merge duplicate test
  ids (there are none in the input), keep meta (CI facts, reports, the Prometheus aggregate),
  steps or coverage files (the input has none). Each measurement starts from its own copy of
  the same store (10 runs of the same tests recorded, so the test ids are known, as in CI).
  testgate also does what the peer does not: it validates the summary into the model, runs
  triage over the failures, evaluates the alerts and stores ``history.flaky_rate`` over the
  last 50 runs.

Writes benchmarks/results/record.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTGATE = str(Path(sys.executable).with_name("testgate"))


def _peer(summary: str, db: str) -> None:
    """The whole-process peer: SQLAlchemy Core executemany of dicts, nothing of testgate."""
    import importlib.util
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, event, select

    # the tables only: testgate's schema module (Table objects over SQLAlchemy, nothing else)
    # loaded from its file, so that the peer pays none of testgate's package imports
    spec = importlib.util.spec_from_file_location(
        "tables", HERE.parent / "src" / "testgate" / "history" / "schema.py"
    )
    assert spec is not None
    assert spec.loader is not None
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)

    with open(summary, encoding="utf-8") as fh:
        doc = json.load(fh)
    engine = create_engine(f"sqlite:///{db}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    info, tests = doc["run"], doc["tests"]
    codes = S.STATUS_CODES
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    started = datetime.fromisoformat(info["started_at"]).astimezone(timezone.utc)
    with engine.begin() as conn:
        failed = sum(1 for t in tests if t["status"] in ("failed", "error"))
        pk = conn.execute(
            S.runs.insert().values(
                uid=info["id"],
                project=info.get("project") or "",
                branch=(info.get("vcs") or {}).get("branch"),
                commit=(info.get("vcs") or {}).get("commit"),
                started_at=started.replace(tzinfo=None),
                recorded_at=now,
                status="failed" if failed else "passed",
                interrupted=False,
                tests_total=len(tests),
                tests_failed=failed,
                meta={},
            )
        ).inserted_primary_key[0]
        keys = [t["id"] for t in tests]
        ids: dict[str, int] = {}
        for i in range(0, len(keys), 900):
            q = select(S.tests.c.test_id, S.tests.c.id).where(
                S.tests.c.test_id.in_(keys[i : i + 900])
            )
            ids.update((k, v) for k, v in conn.execute(q))
        new = [t for t in tests if t["id"] not in ids]
        if new:
            conn.execute(
                S.tests.insert(),
                [
                    {
                        "test_id": t["id"],
                        "suite": t.get("suite") or "",
                        "classname": t.get("classname") or "",
                        "name": t["name"],
                        "file": t.get("file"),
                    }
                    for t in new
                ],
            )
            for i in range(0, len(new), 900):
                chunk = [t["id"] for t in new[i : i + 900]]
                q = select(S.tests.c.test_id, S.tests.c.id).where(S.tests.c.test_id.in_(chunk))
                ids.update((k, v) for k, v in conn.execute(q))
        base = pk << S.RESULT_ID_BITS
        conn.execute(
            S.results.insert(),
            [
                {
                    "id": base + i,
                    "run_id": pk,
                    "test": ids[t["id"]],
                    "status": codes.get(t["status"], 1),
                    "duration_s": float(t.get("duration_s") or 0.0),
                    "attempts": t.get("attempts", 1),
                    "flaky": bool(t.get("flaky", False)),
                    "message": (t.get("message") or "").strip()[:500] or None,
                }
                for i, t in enumerate(tests)
            ],
        )
        metrics = doc.get("metrics") or {}
        if metrics:
            conn.execute(
                S.metrics.insert(),
                [{"run_id": pk, "name": k, "value": float(v)} for k, v in metrics.items()],
            )
    print(f"recorded {len(tests)}")


def run_child(argv: list[str]) -> float:
    """CPU seconds (user + system) of one whole process, from wait4()."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not out.strip():
        raise SystemExit(f"{argv[1:4]} failed ({code}): {err.decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def stats(values: list[float], scale: float = 1.0) -> str:
    v = [x * scale for x in values]
    return f"{min(v):.1f} / {statistics.median(v):.1f} / {max(v):.1f}"


def in_process(url: str, n: int, repeat: int) -> tuple[list[float], list[float], list[float]]:
    """CPU seconds per run: testgate's record, the peer's Core executemany and the floor
    (testgate's own bulk insert of the same rows, prepared beforehand), interleaved."""
    from bench_history import make_run, make_truth

    from testgate.history import open_store
    from testgate.history import schema as S

    truth = make_truth(n, 100)
    rng = random.Random(2)
    runs = [make_run(i, n, rng, truth, 100) for i in range(2 * repeat + 2)]
    ours: list[float] = []
    peer: list[float] = []
    floor: list[float] = []
    with open_store(url) as store:
        store.record(runs[0])  # the first run fills the test dimension
        store.record(runs[1])
        for j in range(repeat):
            run = runs[2 + j]
            t = time.process_time()
            store.record(run)
            ours.append(time.process_time() - t)
            # the peer: the same number of result rows, as dicts, built outside the timing,
            # under the run key its run row will get (the next rowid)
            with store.engine.connect() as conn:
                pk = int(conn.exec_driver_sql("SELECT max(id) FROM runs").scalar_one()) + 1
            base = pk << S.RESULT_ID_BITS
            rows = [
                {
                    "id": base + k,
                    "run_id": pk,
                    "test": k + 1,
                    "status": 0 if tc.status == "passed" else 1,
                    "duration_s": tc.duration_s,
                    "attempts": 1,
                    "flaky": False,
                    "message": None,
                }
                for k, tc in enumerate(runs[2 + repeat + j].tests)
            ]
            t = time.process_time()
            with _run_row(store, pk, f"peer-{j:05d}", run.started_at, n) as conn:
                conn.execute(S.results.insert(), rows)
            peer.append(time.process_time() - t)
            # the floor: the same rows as ready tuples through testgate's own bulk insert (no
            # row building, no test-id lookup, no meta): what no recorder can go below
            floor_pk = pk + 1
            tuples = [
                (
                    (floor_pk << S.RESULT_ID_BITS) + (r["id"] - base),
                    floor_pk,
                    r["test"],
                    r["status"],
                    r["duration_s"],
                    1,
                    False,
                    None,
                    None,
                    None,
                )
                for r in rows
            ]
            t = time.process_time()
            with _run_row(store, floor_pk, f"floor-{j:05d}", run.started_at, n) as conn:
                store._bulk(conn, S.results, tuples)
            floor.append(time.process_time() - t)
    return ours, peer, floor


@contextlib.contextmanager
def _run_row(store: Any, pk: int, uid: str, started: str | None, n: int) -> Iterator[Any]:
    """A write transaction holding a new run row *pk* (the peer's and the floor's), committed
    when the block ends."""
    from testgate.history import schema as S

    with store.engine.connect() as conn:
        conn = conn.execution_options(testgate_write=True)
        with conn.begin():
            conn.execute(
                S.runs.insert().values(
                    id=pk,
                    uid=uid,
                    project="bench",
                    started_at=_naive(started),
                    recorded_at=_naive(started),
                    status="passed",
                    interrupted=False,
                    tests_total=n,
                    tests_failed=0,
                    meta={},
                )
            )
            yield conn


def _naive(iso: str | None) -> Any:
    from datetime import datetime, timezone

    assert iso
    return datetime.fromisoformat(iso).astimezone(timezone.utc).replace(tzinfo=None)


def whole_process(
    tmp: Path, n: int, repeat: int, baseline: list[str] | None
) -> dict[str, list[float]]:
    from bench_history import make_run, make_truth

    from testgate.history import open_store
    from testgate.model import write_summary

    truth = make_truth(n, 100)
    rng = random.Random(5)
    template = tmp / "template.db"
    with open_store(f"sqlite:///{template}") as store:
        for i in range(10):
            store.record(make_run(i, n, rng, truth, 100))
    # one summary per measurement (a run id is recorded once), same tests and statuses
    summaries = []
    for j in range(repeat + 1):
        run = make_run(10 + j, n, random.Random(11), truth, 100)
        run.id = f"whole-{j:05d}"
        summaries.append(write_summary(run, tmp / f"s{j}" / "summary.json"))
    sides: dict[str, list[str]] = {
        "testgate": [TESTGATE, "history", "record", "--no-notify"],
        "peer": [sys.executable, __file__, "--peer"],
    }
    if baseline:
        sides["baseline"] = [*baseline, "history", "record", "--no-notify"]
    out: dict[str, list[float]] = {k: [] for k in sides}
    for j, summary in enumerate(summaries):
        for side, argv in sides.items():
            db = tmp / f"{side}-{j}.db"
            shutil.copyfile(template, db)
            for ext in ("-wal", "-shm"):
                if Path(f"{template}{ext}").exists():
                    shutil.copyfile(f"{template}{ext}", f"{db}{ext}")
            if side == "peer":
                cmd = [*argv, str(summary), str(db)]
            else:
                cmd = [*argv, str(summary), "--db", f"sqlite:///{db}"]
            cpu = run_child(cmd)
            if j:  # the first round warms the page cache
                out[side].append(cpu)
            for p in db.parent.glob(f"{db.name}*"):
                p.unlink()
    return out


def main() -> int:
    if sys.argv[1:2] == ["--peer"]:
        _peer(sys.argv[2], sys.argv[3])
        return 0
    if sys.argv[1:2] == ["--in-process"]:  # SRC URL N REPEAT: one batch, with testgate from SRC
        sys.path[:0] = [sys.argv[2], str(HERE)]
        import testgate.history  # from SRC, before bench_history puts this tree's src first

        print(f"testgate from {testgate.history.__file__}", file=sys.stderr)
        print(json.dumps(in_process(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))))
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="2,000 tests, 5 repetitions")
    ap.add_argument("--tests", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument(
        "--baseline",
        metavar="REV",
        help="also run `testgate history record` with testgate's sources at this git revision",
    )
    ap.add_argument("--out", default=str(HERE / "results" / "record.md"))
    args = ap.parse_args()
    n = args.tests or (2000 if args.quick else 10_000)
    repeat = args.repeat or (5 if args.quick else 15)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "src"))
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-record-"))
    load0 = os.getloadavg()
    try:
        # the CLI from a git revision, compiled as the current sources are (see _bytecode)
        from _bytecode import baseline_cmd, compile_sources

        compile_sources()
        base = baseline_cmd(args.baseline, tmp) if args.baseline else None
        # in-process batches in child processes, so that the revision before this change
        # (when asked) runs the same batches, interleaved with them
        srcs = {"now": str(HERE.parent / "src")}
        if base is not None:
            srcs["before"] = str(tmp / "baseline" / "src")
        inproc: dict[str, list[list[float]]] = {k: [[], [], []] for k in srcs}
        for b in range(3):
            for side, src in srcs.items():
                url = f"sqlite:///{tmp / f'inproc-{side}-{b}.db'}"
                argv = [
                    sys.executable,
                    __file__,
                    "--in-process",
                    src,
                    url,
                    str(n),
                    str(repeat // 3),
                ]
                got = json.loads(subprocess.run(argv, check=True, capture_output=True).stdout)
                for acc, values in zip(inproc[side], got, strict=True):
                    acc.extend(values)
        ours, peer, floor = inproc["now"]
        whole = whole_process(tmp, n, repeat, base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load1 = os.getloadavg()
    med = statistics.median
    ratio_in = med(peer) / med(ours)
    ratio_whole = med(whole["peer"]) / med(whole["testgate"])
    cmd = f"benchmarks/bench_record.py{' --quick' if args.quick else ''}"
    if args.baseline:
        cmd += f" --baseline {args.baseline}"
    lines = [
        f"## Recording a {n:,}-test run into SQLite (`{cmd}`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, on the "
        f"shared 2-core machine; load average {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f} "
        f"before, {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f} after. CPU time (user + "
        f"system), {repeat} interleaved repetitions, min / median / max; WAL and "
        "`synchronous = NORMAL` on both sides. What each side does: see the script's docstring.",
        "",
        "| comparison | testgate CPU ms | peer CPU ms | peer / testgate (median) | goal |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| in-process: `HistoryStore.record` (whole run) vs Core executemany of prepared "
        f"dicts (run row + results) | {stats(ours, 1000)} | {stats(peer, 1000)} | "
        f"{ratio_in:.2f}x | >= 2x |",
        f"| whole process: `testgate history record` vs a SQLAlchemy Core script (run row, "
        f"test ids, results, metrics from the same summary.json) | "
        f"{stats(whole['testgate'], 1000)} | {stats(whole['peer'], 1000)} | "
        f"{ratio_whole:.2f}x | >= 2x |",
    ]
    if "before" in inproc:
        before, peer_b = inproc["before"][0], inproc["before"][1]
        lines.append(
            f"| in-process, testgate at {args.baseline} (before; its own interleaved peer) | "
            f"{stats(before, 1000)} | {stats(peer_b, 1000)} | "
            f"{med(peer_b) / med(before):.2f}x | |"
        )
    if "baseline" in whole:
        lines.append(
            f"| whole process, testgate at {args.baseline} (before) | "
            f"{stats(whole['baseline'], 1000)} | | "
            f"{med(whole['peer']) / med(whole['baseline']):.2f}x | |"
        )
    lines += [
        f"| in-process floor: the same result rows as ready tuples through testgate's own bulk "
        f"insert (run row + results, no lookup, no row building) | {stats(floor, 1000)} | "
        f"{stats(peer, 1000)} | {med(peer) / med(floor):.2f}x | (the ceiling) |",
        "",
        f"In-process throughput (median): testgate {n / med(ours):,.0f} results/s, peer "
        f"{n / med(peer):,.0f} rows/s.",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
