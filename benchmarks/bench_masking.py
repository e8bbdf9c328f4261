"""What masking secrets costs (issue 12.5): testgate before the masker vs with it.

Usage: .venv/bin/python benchmarks/bench_masking.py [--before REF] [--cases N] [--lines N]
                                                    [--repeat N]

Two whole-process comparisons, interleaved, several repetitions; CPU time (user + system of the
child and its children) and peak RSS from wait4():

1. ``testgate ingest FILE -o summary.json`` of the JUnit file bench_ingest.py generates (5%
   failures with a 30-line trace and output): the source at REF (default: the commit before the
   masker) vs this tree, with three secret-looking variables in the environment;
2. ``testgate run`` of one step that prints N lines: the masker on (its output goes through a
   pipe and the stream masker) vs off (``secrets: {shapes: false}`` and no secret in the
   environment: the step writes straight to its log, as before the masker).

Writes benchmarks/results/masking.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402
from bench_ingest import generate, measure, stats  # noqa: E402

RESULTS = HERE / "results" / "masking.md"
ROOT = HERE.parent
DEFAULT_BEFORE = "89383db"  # the last commit before testgate.masking

SECRETS = {"GITHUB_TOKEN": "ghs_" + "x1" * 18, "NPM_TOKEN": "npm-secret-value", "DB_PASSWORD": "pw"}

PRINTER = """
import sys
w = sys.stdout.write
for i in range(int(sys.argv[1])):
    w(f"2024-05-02 10:00:00 INFO request {i} handled in 12 ms by worker-3 (GET /api/items)\\n")
"""


def _clean_env() -> dict[str, str]:
    from testgate.masking import looks_secret

    return {k: v for k, v in os.environ.items() if not looks_secret(k)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--before", default=DEFAULT_BEFORE)
    ap.add_argument("--cases", type=int, default=200_000)
    ap.add_argument("--lines", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    compile_sources()
    load = os.getloadavg()
    py = sys.executable
    rows: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        before = work / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before, "src"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        xml = work / "junit.xml"
        generate(xml, args.cases)
        env = {**_clean_env(), **SECRETS}
        cli = "import sys; from testgate.cli import main; sys.exit(main())"
        ingest = [py, "-c", cli, "ingest", str(xml), "-o", str(work / "s.json")]
        sides = {
            f"before ({args.before})": {**env, "PYTHONPATH": str(before / "src")},
            "with the masker": {**env, "PYTHONPATH": str(ROOT / "src")},
        }
        got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in sides}
        for _ in range(args.repeat):
            for name, side_env in sides.items():
                got[name].append(_measure_env(ingest, work, side_env))
        size = xml.stat().st_size / 1e6
        for name, runs in got.items():
            rows.append(
                f"| ingest {args.cases:,} cases ({size:.0f} MB) | {name} | "
                f"{stats([r[0] for r in runs])} | {stats([r[1] for r in runs])} | "
                f"{stats([r[2] for r in runs])} |"
            )
        a, b = (statistics.median(r[1] for r in runs) for runs in got.values())
        a_min, b_min = (min(r[1] for r in runs) for runs in got.values())
        notes.append(
            f"- ingest as a whole command: the masker changes the CPU time by "
            f"{100 * (b_min / a_min - 1):+.1f}% (fastest runs), {100 * (b / a - 1):+.1f}% "
            "(medians)."
        )
        print(notes[-1], flush=True)
        read_s, mask_s, fields = _in_process(xml, env)
        notes.append(
            f"- in one process, without the noise of process start: reading the report takes "
            f"{read_s:.2f} s of CPU, masking its {fields:,} non-empty messages and traces "
            f"{mask_s:.3f} s ({100 * mask_s / read_s:.1f}% of the read; best of 5)."
        )
        print(notes[-1], flush=True)

        # a step's output through the stream masker
        for mode in ("off", "on"):
            d = work / f"run-{mode}"
            d.mkdir()
            (d / "printer.py").write_text(PRINTER)
            extra = "secrets: {shapes: false}\n" if mode == "off" else ""
            (d / "testgate.yaml").write_text(
                extra + "pipeline:\n  stages:\n    - name: s\n      steps:\n"
                f"        - name: print\n          run: {py} printer.py {args.lines}\n"
            )
        run_got: dict[str, list[tuple[float, float, float]]] = {"off": [], "on": []}
        for _ in range(args.repeat):
            for mode in ("off", "on"):
                side_env = {**_clean_env(), "PYTHONPATH": str(ROOT / "src")}
                if mode == "on":
                    side_env.update(SECRETS)
                argv = [py, "-c", cli, "run", "--no-record", "-q"]
                run_got[mode].append(_measure_env(argv, work / f"run-{mode}", side_env))
        for mode, runs in run_got.items():
            label = "masker on (pipe + stream masker)" if mode == "on" else "masker off (direct)"
            rows.append(
                f"| run, a step printing {args.lines:,} lines | {label} | "
                f"{stats([r[0] for r in runs])} | {stats([r[1] for r in runs])} | "
                f"{stats([r[2] for r in runs])} |"
            )
        a, b = (statistics.median(r[1] for r in run_got[m]) for m in ("off", "on"))
        a_min, b_min = (min(r[1] for r in run_got[m]) for m in ("off", "on"))
        notes.append(
            f"- a step's output: the masker changes the CPU time of the run (testgate and the "
            f"step together) by {b_min - a_min:+.2f} s (fastest runs), {b - a:+.2f} s (medians) "
            f"for {args.lines:,} lines."
        )
        print(notes[-1], flush=True)
    text = "\n".join(
        [
            "## Masking secrets (`benchmarks/bench_masking.py`)",
            "",
            f"Python {platform.python_version()}, {os.cpu_count()} cores; load average "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when it started (the machine is "
            "shared with other jobs: CPU time is the figure to compare). "
            f"{args.repeat} interleaved repetitions; min / median / max of whole processes.",
            "",
            "| workload | testgate | wall s | CPU s | peak RSS MiB |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            *notes,
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return 0


IN_PROCESS = """
import json, sys, time
from testgate.plugins import get_plugins
from testgate.adapters.registry import ReadContext, environment_masker, mask_report, read_report
from testgate.masking import Masker
get_plugins()
best_read = best_mask = float("inf")
for _ in range(5):
    t = time.process_time()
    data, _ = read_report(sys.argv[1], ctx=ReadContext(masker=Masker(shapes=False)))
    best_read = min(best_read, time.process_time() - t)
    masker = environment_masker()
    t = time.process_time()
    mask_report(data, masker)
    best_mask = min(best_mask, time.process_time() - t)
fields = sum(bool(x.message) + bool(x.trace) for x in data.tests)
print(json.dumps([best_read, best_mask, fields]))
"""


def _in_process(xml: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(read s, mask s, masked fields): best CPU times of reading the report and of masking it,
    in one process."""
    proc = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(xml)],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    read_s, mask_s, fields = json.loads(proc.stdout)
    return float(read_s), float(mask_s), int(fields)


def _measure_env(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return measure(argv, cwd)
    finally:
        os.environ.clear()
        os.environ.update(old)


if __name__ == "__main__":
    sys.exit(main())
