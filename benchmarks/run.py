"""Run every benchmark (or the named ones) and assemble benchmarks/RESULTS.md.

Usage: python benchmarks/run.py [--quick] [NAME ...]   (NAME: pipeline, junit, coverage, ...)
Each bench_<name>.py writes benchmarks/results/<name>.md; this script runs them in turn and
concatenates the sections, so RESULTS.md always holds figures measured by the scripts here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def assemble() -> str:
    parts = [
        "# Benchmark results\n",
        "Every figure below was measured by the script named in its section, running testgate and",
        "its peers side by side on the same input in one run, on this project's 2-core machine.",
        "Regenerate with `make bench` (or `python benchmarks/run.py NAME`).\n",
    ]
    for md in sorted((HERE / "results").glob("*.md")):
        text = md.read_text().rstrip()
        lines = text.splitlines()
        # every section sits one level below the page title
        top = min((len(x) - len(x.lstrip("#")) for x in lines if x.startswith("#")), default=2)
        shift = "#" * max(0, 2 - top)
        lines = [shift + x if x.startswith("#") else x for x in lines]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--assemble-only", action="store_true", help="only rebuild RESULTS.md")
    args = ap.parse_args()
    if not args.assemble_only:
        scripts = sorted(HERE.glob("bench_*.py"))
        if args.names:
            scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
        for script in scripts:
            print(f"== {script.name}", flush=True)
            cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
            if subprocess.run(cmd).returncode != 0:
                print(f"{script.name} failed", file=sys.stderr)
                return 1
    (HERE / "RESULTS.md").write_text(assemble())
    return 0


if __name__ == "__main__":
    sys.exit(main())
