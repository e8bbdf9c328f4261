"""Start-up honesty (issue 19): the wall time of `testgate --help` and `testgate history list`
from the INSTALLED wheel, beside `pytest --version` (and a bare `python -c pass`) measured in the
same run, interleaved, several repetitions, with CPU time and peak memory of each process.

The commands come from the virtual environment `make installed` builds from the wheel
(.venv-wheel, or --venv); `history list` reads a store holding one recorded run.

Usage: python benchmarks/bench_startup.py [--quick] [--venv DIR]
Writes benchmarks/results/startup.md.
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
from _bytecode import compile_sources  # noqa: E402

REPO = HERE.parent
REPORT = REPO / "tests" / "fixtures" / "junit" / "ant__error-at-suite-level.xml"


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="5 repetitions instead of 20")
    ap.add_argument("--venv", type=Path, default=REPO / ".venv-wheel")
    args = ap.parse_args()
    compile_sources()
    bin_ = args.venv.resolve() / "bin"
    if not (bin_ / "testgate").exists():
        print(f"no testgate in {bin_}: run `make installed` first", file=sys.stderr)
        return 2
    reps = 5 if args.quick else 20
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        tg = str(bin_ / "testgate")
        db = str(d / "history.db")
        subprocess.run(
            [tg, "ingest", str(REPORT), "-o", "summary.json"],
            cwd=d,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [tg, "history", "record", "--db", db, "summary.json"],
            cwd=d,
            check=True,
            capture_output=True,
        )
        cases = {
            "python -c pass": [str(bin_ / "python"), "-c", "pass"],
            "pytest --version": [str(bin_ / "pytest"), "--version"],
            "testgate --help": [tg, "--help"],
            "testgate history list": [tg, "history", "list", "--db", db],
        }
        for cmd in cases.values():  # warm the OS file cache once
            measure(cmd, d)
        samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cases}
        for _ in range(reps):  # interleaved: load changes hit every command alike
            for name, cmd in cases.items():
                samples[name].append(measure(cmd, d))
    load_after = os.getloadavg()
    rows = []
    for name, s in samples.items():
        walls = [x[0] for x in s]
        rows.append(
            f"| `{name}` | {statistics.median(walls) * 1000:.0f} | {min(walls) * 1000:.0f} | "
            f"{statistics.median(x[1] for x in s) * 1000:.0f} | {max(x[2] for x in s):.0f} |"
        )
    out = [
        "## Start-up of the installed wheel (issue 19)\n",
        "Wall time of each command from the installed wheel (`make installed`: the sdist, the "
        "wheel built from it, installed into `.venv-wheel`), beside `pytest --version` and a bare "
        f"interpreter from the same environment, measured in one run: {reps} repetitions "
        "interleaved, after one warm-up each. `history list` reads a SQLite store holding one "
        "run. CPU is user + system time of the process; peak RSS its maximum resident set.\n",
        "| command | median wall (ms) | min wall (ms) | median CPU (ms) | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; shared with other "
        f"jobs and loaded: load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        "(1 min). Wall times on a loaded machine are upper bounds; the CPU column is steadier.",
        "Reproduce: `make installed && python benchmarks/bench_startup.py`.",
    ]
    (HERE / "results" / "startup.md").write_text("\n".join(out) + "\n")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
