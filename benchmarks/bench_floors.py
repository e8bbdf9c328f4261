"""Readers against their floors: testgate's JUnit, lcov and Cobertura readers as whole processes
against the least a reader can do on the same file.

    .venv/bin/python benchmarks/bench_floors.py [--quick] [--reps N]

The floors: for JUnit, an lxml ``iterparse`` loop that only counts the cases and their
statuses; for lcov, a loop over the lines that only counts ``DA``/``BRDA`` records and their
hits; for Cobertura, an lxml ``iterparse`` loop that only counts ``<line>`` hits and
``condition-coverage``. Each side is a fresh ``python -c`` process (interpreter start and
imports included: what a user's command pays), run interleaved with the other, ``--reps``
times; each process's CPU time (user + system, from ``wait4``) and peak RSS are recorded, and
every run of both sides must count the same tests / lines as the generator wrote. Goals (issue
11): JUnit within 1.5x of its floor, lcov and Cobertura within 1.3x of theirs (CPU time,
median). Inputs come from bench_junit.py's and bench_coverage.py's generators. Writes
benchmarks/results/floors.md, with the machine's load (``uptime``) before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "floors.md"
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402
from bench_coverage import generate as generate_coverage  # noqa: E402
from bench_junit import generate as generate_junit  # noqa: E402

SIDES: dict[str, dict[str, str]] = {
    "junit": {
        "testgate": """
import sys
from pathlib import Path
from testgate.adapters.junit import read_junit
tests = read_junit(Path(sys.argv[1]))
print(len(tests), sum(t.status == "failed" for t in tests))
""",
        "floor": """
import sys
from lxml import etree
n = failed = 0
for _ev, el in etree.iterparse(sys.argv[1], events=("end",), tag="testcase"):
    n += 1
    if len(el) and el[0].tag == "failure":
        failed += 1
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n, failed)
""",
    },
    "lcov": {
        "testgate": """
import sys
from pathlib import Path
from testgate.adapters.lcov import read_lcov
from testgate.adapters.registry import ReadContext
cov = read_lcov(Path(sys.argv[1]), ReadContext(root=Path(sys.argv[1]).parent)).coverage
cl, tl, cb, tb = cov.totals()
print(tl, cl)
""",
        "floor": """
import sys
lines = covered = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.startswith("DA:"):
            lines += 1
            if not line.rstrip().endswith(",0"):
                covered += 1
print(lines, covered)
""",
    },
    "cobertura": {
        "testgate": """
import sys
from pathlib import Path
from testgate.adapters.cobertura import read_cobertura
from testgate.adapters.registry import ReadContext
cov = read_cobertura(Path(sys.argv[1]), ReadContext(root=Path(sys.argv[1]).parent)).coverage
cl, tl, cb, tb = cov.totals()
print(tl, cl)
""",
        "floor": """
import sys
from lxml import etree
lines = covered = 0
for _ev, el in etree.iterparse(sys.argv[1], events=("end",), tag="line"):
    lines += 1
    if el.get("hits") != "0":
        covered += 1
    el.clear()
print(lines, covered)
""",
    },
}

GOALS = {"junit": 1.5, "lcov": 1.3, "cobertura": 1.3}


def run_once(code: str, path: Path) -> tuple[float, float, str]:
    """CPU seconds (user + sys) and peak RSS (MiB) of one whole process, and what it printed."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the reader, its stdout into the pipe
        os.close(r)
        os.dup2(w, 1)
        os.execv(sys.executable, [sys.executable, "-c", code, str(path)])
    os.close(w)
    with os.fdopen(r) as fh:
        out = fh.read()
    _pid, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"reader failed on {path} (status {status})")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.strip()


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(uptime unavailable)"


def measure(kind: str, path: Path, reps: int, expect: str) -> dict[str, list[tuple[float, float]]]:
    runs: dict[str, list[tuple[float, float]]] = {"testgate": [], "floor": []}
    for _ in range(reps):
        for side in ("floor", "testgate"):  # interleaved
            cpu, rss, out = run_once(SIDES[kind][side], path)
            if out.split()[: len(expect.split())] != expect.split():
                raise SystemExit(f"{kind}/{side} counted {out!r}, expected {expect!r}")
            runs[side].append((cpu, rss))
    return runs


def stats(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller inputs, 3 repetitions")
    ap.add_argument("--reps", type=int, default=0, help="repetitions per side (default 5)")
    args = ap.parse_args()
    compile_sources()
    reps = args.reps or (3 if args.quick else 5)
    junit_sizes = (100_000,) if args.quick else (100_000, 1_000_000)
    cov_files = (2_000,) if args.quick else (10_000,)
    load_before = uptime()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases: list[tuple[str, str, Path, str]] = []
        for n in junit_sizes:
            path = work / f"junit-{n}.xml"
            failed = generate_junit(path, n)
            cases.append(("junit", f"{n:,} cases", path, f"{n} {failed}"))
        for n in cov_files:
            cob, info = work / f"cov-{n}.xml", work / f"cov-{n}.info"
            g = generate_coverage(n, cob, info)
            expect = f"{g.lines} {g.covered}"
            cases.append(("lcov", f"{n:,} files", info, expect))
            cases.append(("cobertura", f"{n:,} files", cob, expect))
        for kind, label, path, expect in cases:
            runs = measure(kind, path, reps, expect)
            tg = [c for c, _ in runs["testgate"]]
            fl = [c for c, _ in runs["floor"]]
            ratio = statistics.median(tg) / statistics.median(fl)
            goal = GOALS[kind]
            size = path.stat().st_size / 2**20
            rows.append(
                f"| {kind} | {label} ({size:.0f} MiB) | {stats(tg)} | {stats(fl)} | "
                f"{ratio:.2f}x | {goal}x | {'met' if ratio <= goal else 'not met'} | "
                f"{max(r for _, r in runs['testgate']):.0f} / "
                f"{max(r for _, r in runs['floor']):.0f} |"
            )
            print(rows[-1], flush=True)
    load_after = uptime()
    text = "\n".join(
        [
            "## Readers against their floors (issue 11)",
            "",
            "`benchmarks/bench_floors.py`: each reader as a whole `python -c` process (start-up and",
            "imports included) against the least a reader can do on the same generated file, run",
            f"interleaved, {reps} times each; CPU time (user + system) min / median / max in seconds;",
            "the ratio is of the medians; peak RSS is the largest of the runs. Floors: JUnit, an lxml",
            "`iterparse` loop counting cases and failures; lcov, a line loop counting `DA` records",
            "and hits; Cobertura, an lxml `iterparse` loop counting `<line>` hits. Both sides count",
            "the same numbers, checked on every run.",
            "",
            "| reader | input | testgate CPU (s) | floor CPU (s) | ratio | goal | | peak RSS MiB (testgate / floor) |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
            *rows,
            "",
            f"Machine: {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores (shared with other jobs). Load before: `{load_before}`; "
            f"after: `{load_after}`.",
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
