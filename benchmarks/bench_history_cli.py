"""The history commands as whole processes: start-up, `flaky`, `slow`, `history list`.

Usage: .venv/bin/python benchmarks/bench_history_cli.py [--quick] [--runs N] [--tests N]

A SQLite history of RUNS runs x TESTS tests (200 x 10,000 = 2M results by default, the same
synthetic runs as bench_history.py: flaky, broken, outage and slowing tests among healthy ones)
is recorded once; then each command runs as its own process (`testgate ...`, interpreter start,
imports, store opening and the query included), interleaved, several repetitions. CPU time
(user + system of the child) and peak RSS from wait4(); min / median / max.

Start-up is `testgate history list --limit 1` on a store at the current schema holding one
run: what any history command pays before its own query. The floor beside it is
`python -c pass` (the interpreter alone). Writes benchmarks/results/history_cli.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import baseline_cmd, compile_sources  # noqa: E402

RESULTS = HERE / "results" / "history_cli.md"
TESTGATE = str(Path(sys.executable).with_name("testgate"))


def build(url: str, runs: int, tests: int) -> float:
    """Record the synthetic history in a child process (this one stays small: a child's peak
    RSS counts the memory of the process it was forked from); returns the seconds it took."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build", url, str(runs), str(tests)], check=True)
    return time.perf_counter() - t0


def _build_here(url: str, runs: int, tests: int) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "src"))
    from bench_history import make_run, make_truth

    from testgate.history import open_store

    truth = make_truth(tests, max(runs, 100))
    rng = random.Random(7)
    with open_store(url) as store:
        for i in range(runs):
            store.record(make_run(i, tests, rng, truth, runs))


def measure(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one whole process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not out.strip():
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv[1:4]} failed ({code}): {err[-2000:]}")
    for fh in (proc.stdout, proc.stderr):
        if fh:
            fh.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def stats(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main() -> int:
    if sys.argv[1:2] == ["--build"]:
        _build_here(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="50 runs x 2,000 tests, 3 repetitions")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--tests", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="also run each command with testgate's sources at this git revision (same "
        "interpreter and packages), interleaved: the before/after of a change",
    )
    args = ap.parse_args()
    compile_sources()
    runs = args.runs or (50 if args.quick else 200)
    tests = args.tests or (2_000 if args.quick else 10_000)
    repeat = args.repeat or (3 if args.quick else 5)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        big, small = work / "big.db", work / "small.db"
        took = build(f"sqlite:///{big}", runs, tests)
        build(f"sqlite:///{small}", 1, 100)
        commands: dict[str, tuple[list[str], float]] = {
            "start-up: history list --limit 1 (1 run)": (
                ["history", "list", "--limit", "1", "--db", str(small)],
                0.3,
            ),
            f"history list ({runs} runs)": (["history", "list", "--db", str(big)], 0.5),
            f"flaky ({runs} runs x {tests:,})": (["flaky", "--db", str(big)], 0.5),
            f"slow ({runs} runs x {tests:,})": (["slow", "--db", str(big)], 0.5),
        }
        sides: dict[str, tuple[list[str], float | None]] = {
            "python -c pass (interpreter floor)": ([sys.executable, "-c", "print(1)"], None),
        }
        base = baseline_cmd(args.baseline, work) if args.baseline else []
        for name, (argv, goal) in commands.items():
            sides[name] = ([TESTGATE, *argv], goal)
            if args.baseline:
                sides[f"{name}, at {args.baseline}"] = (
                    [*base, *argv],
                    None,
                )
        got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in sides}
        for argv, _goal in sides.values():
            measure(argv, work)  # warm the page cache: every side reads a hot file
        for _ in range(repeat):  # interleaved
            for name, (argv, _goal) in sides.items():
                got[name].append(measure(argv, work))
    after = os.getloadavg()
    rows = []
    for name, (_argv, goal) in sides.items():
        cpu = [r[1] for r in got[name]]
        med = statistics.median(cpu)
        verdict = (
            "" if goal is None else ("met" if med <= goal else f"not met (+{med - goal:.2f} s)")
        )
        rows.append(
            f"| {name} | {stats(cpu)} | {stats([r[0] for r in got[name]])} | "
            f"{max(r[2] for r in got[name]):.0f} | {'' if goal is None else f'<= {goal} s'} | "
            f"{verdict} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            "## History commands as whole processes (`benchmarks/bench_history_cli.py`)",
            "",
            f"Python {platform.python_version()}, {os.cpu_count()} cores shared with other "
            f"work; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} before, "
            f"{after[0]:.2f} / {after[1]:.2f} / {after[2]:.2f} after (CPU time is the figure "
            f"to compare; wall time depends on the load). A SQLite history of {runs} runs x "
            f"{tests:,} tests ({runs * tests:,} results, recorded in {took:.0f} s); every "
            f"command a fresh process with its defaults (window 50 on the default branch), "
            f"{repeat} interleaved repetitions after one warm-up each; min / median / max."
            + (
                f" Rows 'at {args.baseline}' run the same commands with testgate's sources at "
                f"that revision (same interpreter and packages): the figures before this change."
                if args.baseline
                else ""
            ),
            "",
            "| command | CPU s | wall s | peak RSS MiB | goal (median CPU) | |",
            "|---|---:|---:|---:|---|---|",
            *rows,
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
