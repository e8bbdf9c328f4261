"""Recording one run of 10,000 tests into SQLite, against SQLAlchemy Core ``executemany`` of
the same result rows, and against the database's own floor.

Usage: .venv/bin/python benchmarks/bench_recording.py [--quick] [--tests N] [--repeat N]

Every side starts from a copy of the same store, which already holds one run of the same tests
(so the test dimension is filled, as in every run after a project's first), and writes one new
run in one transaction, interleaved, several repetitions. CPU time (user + system).

* Whole processes (what users run): ``testgate history record run.json --db FILE`` (reads the
  summary, records the run row, the test ids, the results, metrics and the Prometheus
  aggregate, then evaluates the alerts) against a ``python -c`` process that imports
  SQLAlchemy, opens the file and inserts the same result rows with Core ``executemany`` of
  dicts (read from a JSON file of rows), and against the floor: the same rows through the
  standard library's ``sqlite3`` ``executemany`` of tuples (no SQLAlchemy).
* In one process (the library call alone): ``HistoryStore.record(run)`` against
  ``conn.execute(results.insert(), rows)`` and against ``sqlite3`` ``executemany``, each timed
  around the call that writes and commits.

The peer and the floor write only the results rows: testgate writes those and more (the run
row, the test-id lookup, metrics, the aggregate). Writes benchmarks/results/recording.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

RESULTS = HERE / "results" / "recording.md"
TESTGATE = str(Path(sys.executable).with_name("testgate"))

_COLUMNS = ("id", "run_id", "test", "status", "duration_s", "attempts", "flaky", "message")

PEER = """
import json, sys
import sqlalchemy as sa
rows = json.load(open(sys.argv[2]))
results = sa.table("results", *(sa.column(c) for c in rows[0]))
engine = sa.create_engine("sqlite:///" + sys.argv[1])
with engine.begin() as conn:
    conn.execute(results.insert(), rows)
"""

FLOOR = """
import json, sqlite3, sys
rows = json.load(open(sys.argv[2]))
cols = list(rows[0])
conn = sqlite3.connect(sys.argv[1])
with conn:
    conn.executemany(
        f"INSERT INTO results ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [tuple(r[c] for c in cols) for r in rows],
    )
conn.close()
"""

IN_PROCESS = """
import json, shutil, sqlite3, sys, time
sys.path.insert(0, sys.argv[1])
from testgate.history import open_store
from testgate.model import read_summary
import sqlalchemy as sa
base, work, summary, rows_file, side = sys.argv[2:7]
rows = json.load(open(rows_file))
cols = list(rows[0])
shutil.copyfile(base, work)
if side == "testgate":
    run = read_summary(summary)
    with open_store("sqlite:///" + work) as store:
        t = time.process_time()
        store.record(run)
        print(time.process_time() - t)
elif side == "peer":
    results = sa.table("results", *(sa.column(c) for c in cols))
    engine = sa.create_engine("sqlite:///" + work)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # connected before the clock starts
        conn.commit()
        t = time.process_time()
        with conn.begin():
            conn.execute(results.insert(), rows)
        print(time.process_time() - t)
else:
    conn = sqlite3.connect(work)
    sql = f"INSERT INTO results ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    t = time.process_time()
    tuples = [tuple(r[c] for c in cols) for r in rows]
    with conn:
        conn.executemany(sql, tuples)
    print(time.process_time() - t)
"""


def measure(argv: list[str]) -> float:
    """CPU seconds (user + system) of one whole process."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:4]} failed: {err[-2000:]}")
    del out
    return usage.ru_utime + usage.ru_stime


def inner(argv: list[str]) -> float:
    """The CPU seconds a child process reports for its timed call."""
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def prepare(tmp: Path, n: int) -> tuple[Path, Path, Path]:
    """A store holding run 0, the summary of run 1, and run 1's result rows as JSON."""
    from bench_history import make_run, make_truth

    from testgate.history import open_store
    from testgate.history import schema as S
    from testgate.model import write_summary

    truth = make_truth(n, 100)
    rng = random.Random(2)
    first, run = make_run(0, n, rng, truth, 100), make_run(1, n, rng, truth, 100)
    base = tmp / "base.db"
    with open_store(f"sqlite:///{base}") as store:
        store.record(first)
        pk = store.runs(limit=1)[0].pk
    summary = tmp / "run.json"
    write_summary(run, summary)
    with sqlite3.connect(base) as conn:
        ids = dict(conn.execute("SELECT test_id, id FROM tests"))
    conn.close()
    codes = S.STATUS_CODES
    # the rows testgate writes for the run (attached to a run id of their own)
    rows = [
        {
            "id": ((pk + 1) << S.RESULT_ID_BITS) + i,
            "run_id": pk + 1,
            "test": ids[t.id],
            "status": codes.get(t.status, 1),
            "duration_s": float(t.duration_s),
            "attempts": 1,
            "flaky": False,
            "message": (t.message or "").split("\n", 1)[0][:500] or None,
        }
        for i, t in enumerate(run.tests)
    ]
    rows_file = tmp / "rows.json"
    rows_file.write_text(json.dumps(rows))
    return base, summary, rows_file


def stats(xs: list[float]) -> str:
    return f"{min(xs):.3f} / {statistics.median(xs):.3f} / {max(xs):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tests", type=int, default=None, help="tests in the run [10,000]")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions [7]")
    ap.add_argument("--quick", action="store_true", help="2,000 tests, 3 repetitions")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    compile_sources()
    args.tests = args.tests or (2_000 if args.quick else 10_000)
    args.repeat = args.repeat or (3 if args.quick else 7)
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-recording-"))
    load_before = os.getloadavg()
    base, summary, rows_file = prepare(tmp, args.tests)
    src = str(HERE.parent / "src")
    whole: dict[str, list[float]] = {"testgate": [], "peer": [], "floor": []}
    lib: dict[str, list[float]] = {"testgate": [], "peer": [], "floor": []}
    for rep in range(args.repeat):
        order = list(whole)
        order = order[rep % 3 :] + order[: rep % 3]  # interleaved, each side first in turn
        for side in order:
            work = tmp / f"{side}.db"
            shutil.copyfile(base, work)
            if side == "testgate":
                argv = [TESTGATE, "history", "record", str(summary), "--db", str(work)]
            else:
                code = PEER if side == "peer" else FLOOR
                argv = [sys.executable, "-c", code, str(work), str(rows_file)]
            whole[side].append(measure(argv))
            lib[side].append(
                inner(
                    [
                        sys.executable,
                        "-c",
                        IN_PROCESS,
                        src,
                        str(base),
                        str(work),
                        str(summary),
                        str(rows_file),
                        side,
                    ]
                )
            )
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in whole.items()))
    load_after = os.getloadavg()
    med = {k: statistics.median(v) for k, v in whole.items()}
    mlib = {k: statistics.median(v) for k, v in lib.items()}
    n = args.tests
    lines = [
        "## Recording a run into SQLite (`benchmarks/bench_recording.py`)",
        "",
        f"Python {platform.python_version()}, {os.cpu_count()} cores; load average "
        f"{' / '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' / '.join(f'{x:.2f}' for x in load_after)} after. One run of {n:,} tests written "
        "into a copy of a store that already holds one run of the same tests; "
        f"{args.repeat} interleaved repetitions; CPU seconds (user + system), min / median / max.",
        "",
        "| what | testgate | peer: SQLAlchemy Core executemany of dicts | floor: sqlite3 executemany of tuples | testgate vs peer | floor vs peer |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| whole process | {stats(whole['testgate'])} | {stats(whole['peer'])} | "
        f"{stats(whole['floor'])} | {med['peer'] / med['testgate']:.2f}x | "
        f"{med['peer'] / med['floor']:.2f}x |",
        f"| the call alone (in one process) | {stats(lib['testgate'])} | {stats(lib['peer'])} | "
        f"{stats(lib['floor'])} | {mlib['peer'] / mlib['testgate']:.2f}x | "
        f"{mlib['peer'] / mlib['floor']:.2f}x |",
        "",
        "testgate writes the run row, looks up the test ids, inserts the results, metrics and "
        "the run's Prometheus aggregate and (whole process) reads the summary and evaluates the "
        "alerts; the peer and the floor insert only the result rows. Goal (issue 11): testgate "
        "at least 2x faster than the peer. The floor column says how fast any writer of these "
        "rows can be on this database: a ratio against the peer below 2x there means no writer "
        "reaches 2x.",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
