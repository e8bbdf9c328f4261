"""`testgate ingest` of a big JUnit file as a whole command, vs junitparser reading it.

Usage: .venv/bin/python benchmarks/bench_ingest.py [--quick] [--sizes N,N]

Both sides are whole processes on the same file doing the same work: junitparser parses the XML
and visits every case with its result (what a script that reads JUnit with it does); testgate
runs `testgate ingest FILE -o summary.json`: it parses the XML, builds every test case, derives
the metrics and writes the whole summary. Interleaved, several repetitions; CPU time (user +
system of the child) and peak RSS from wait4(); min / median / max. Writes
benchmarks/results/ingest.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import baseline_cmd, compile_sources  # noqa: E402

RESULTS = HERE / "results" / "ingest.md"
TESTGATE = str(Path(sys.executable).with_name("testgate"))

JUNITPARSER = """
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
n = failed = 0
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        n += 1
        if any(isinstance(r, (Failure, Error)) for r in case.result):
            failed += 1
print(n, failed)
"""


def generate(path: Path, n: int, fail_every: int = 20) -> int:
    """*n* cases in suites of 500; one in *fail_every* fails with a 30-line trace and output."""
    failed = 0
    trace = "\n".join(
        f"    at com.example.billing.Service{i}.call(Service{i}.java:{i * 7 + 11})"
        for i in range(30)
    )
    out = "\n".join(f"2024-05-02 10:00:{i:02d} INFO request {i} handled" for i in range(20))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
        for s in range(0, n, 500):
            cls = f"com.example.module{s // 5000}.FeatureTest{s // 500}"
            fh.write(f'  <testsuite name="{cls}" tests="500" timestamp="2024-05-02T10:00:00">\n')
            for i in range(s, min(n, s + 500)):
                t = f"{(i * 37 % 1000) / 1000:.3f}"
                if i % fail_every == 0:
                    failed += 1
                    fh.write(
                        f'    <testcase classname="{cls}" name="test_case_{i}[param-{i % 7}]" '
                        f'time="{t}">\n      <failure message="expected &lt;{i}&gt; but was '
                        f'&lt;{i + 1}&gt;" type="AssertionError">AssertionError: expected {i}\n'
                        f"{trace}</failure>\n      <system-out>{out}</system-out>\n"
                        "    </testcase>\n"
                    )
                else:
                    fh.write(
                        f'    <testcase classname="{cls}" name="test_case_{i}" '
                        f'file="src/test/java/{cls.replace(".", "/")}.java" line="{i % 400 + 1}" '
                        f'time="{t}"/>\n'
                    )
            fh.write("  </testsuite>\n")
        fh.write("</testsuites>\n")
    return failed


def measure(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one whole process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}): {err[-2000:]}")
    if proc.stderr:
        proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def stats(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="100k cases, 2 repetitions")
    ap.add_argument("--sizes", default=None, help="comma-separated case counts")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="also run `testgate ingest` with testgate's sources at this git revision (same "
        "interpreter and packages), interleaved: the before/after of a change",
    )
    args = ap.parse_args()
    compile_sources()
    sizes = (
        [int(x) for x in args.sizes.split(",")]
        if args.sizes
        else ([100_000] if args.quick else [100_000, 1_000_000])
    )
    repeat = args.repeat or (2 if args.quick else 3)
    load = os.getloadavg()
    rows: list[str] = []
    summary: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = baseline_cmd(args.baseline, work) if args.baseline else []
        for n in sizes:
            xml = work / f"junit-{n}.xml"
            generate(xml, n)
            size = xml.stat().st_size / 1e6
            sides = {
                "testgate ingest": [TESTGATE, "ingest", str(xml), "-o", str(work / "s.json")],
                "junitparser": [sys.executable, "-c", JUNITPARSER, str(xml)],
            }
            if base:
                sides[f"testgate ingest at {args.baseline}"] = [
                    *base,
                    "ingest",
                    str(xml),
                    "-o",
                    str(work / "s0.json"),
                ]
            got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in sides}
            for _ in range(repeat):  # interleaved
                for name, argv in sides.items():
                    got[name].append(measure(argv, work))
            tg, jp = got["testgate ingest"], got["junitparser"]
            for name, runs in got.items():
                rows.append(
                    f"| {n:,} ({size:.0f} MB) | {name} | {stats([r[0] for r in runs])} | "
                    f"{stats([r[1] for r in runs])} | {stats([r[2] for r in runs])} |"
                )
            cpu_ratio = statistics.median(r[1] for r in jp) / statistics.median(r[1] for r in tg)
            mem_ratio = statistics.median(r[2] for r in tg) / statistics.median(r[2] for r in jp)
            summary.append(
                f"- {n:,} cases: `testgate ingest` takes {1 / cpu_ratio:.2f}x junitparser's CPU "
                f"time ({cpu_ratio:.2f}x faster) and {mem_ratio:.2f} of its peak memory."
            )
            if base:
                old = got[f"testgate ingest at {args.baseline}"]
                before = statistics.median(r[1] for r in jp) / statistics.median(r[1] for r in old)
                summary[-1] += f" At {args.baseline}: {before:.2f}x faster than junitparser."
            print(summary[-1], flush=True)
    text = "\n".join(
        [
            "## `testgate ingest` as a whole command (`benchmarks/bench_ingest.py`)",
            "",
            f"Python {platform.python_version()}, {os.cpu_count()} cores; load average "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when it started (the machine is "
            f"shared: CPU time is the figure to compare). {repeat} interleaved repetitions; "
            "min / median / max of whole processes (interpreter start and imports included). "
            "Generated JUnit: suites of 500 cases, 5% failures with a 30-line trace and 20 lines "
            "of output. junitparser parses the file and visits every case's result; testgate "
            "parses it, builds every test case, derives the metrics and writes the summary."
            + (
                f" 'testgate ingest at {args.baseline}' is the same command with testgate's "
                "sources at that revision (same interpreter and packages): before this change."
                if args.baseline
                else ""
            ),
            "",
            "| cases | command | wall s | CPU s | peak RSS MiB |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            *summary,
            "",
            "Goals: at 1M cases at least 2x faster CPU than junitparser with at most a quarter "
            "of its peak memory; at 100k, at least 2x.",
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
