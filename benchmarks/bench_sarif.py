"""Reading SARIF: testgate's adapter against a bare ``json.load`` counting loop.

Generates SARIF logs with 10k, 100k (and, without --quick, 300k) results shaped like semgrep's
(rules with a default level, results with a location and a region, every tenth one suppressed),
then times, in one run on the same files:

- ``json.load`` + a loop that counts unsuppressed results (the floor: parsing alone), and
- testgate's ``sarif`` adapter (parsing, rule lookup, severity, paths, findings, metrics).

Each measurement runs in a fresh process; peak memory is the growth of its resident set
high-water mark (VmHWM) while reading.

    .venv/bin/python benchmarks/bench_sarif.py [--quick]

Writes benchmarks/results/sarif.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

MEASURE = r"""
import json, sys, time
from pathlib import Path
def hwm():
    # VmHWM belongs to this process image (ru_maxrss would include the parent's, from fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
which, path = sys.argv[1], Path(sys.argv[2])
if which == "testgate":
    from testgate.adapters.registry import ReadContext
    from testgate.adapters.sarif import SarifAdapter
    adapter = SarifAdapter()
base = hwm()
t0 = time.perf_counter()
if which == "bare":
    doc = json.load(open(path, encoding="utf-8"))
    n = sum(1 for run in doc["runs"] for r in run["results"] if not r.get("suppressions"))
else:
    n = len(adapter.read(path, ReadContext(root=Path("/repo"))).findings)
elapsed = time.perf_counter() - t0
peak = hwm() - base
print(json.dumps({"n": n, "s": elapsed, "peak": peak}))
"""


def generate(path: Path, results: int) -> None:
    rules = [
        {
            "id": f"rule.{i}",
            "defaultConfiguration": {"level": ("error", "warning", "note")[i % 3]},
            "shortDescription": {"text": f"rule {i}"},
        }
        for i in range(50)
    ]
    res = []
    for i in range(results):
        r: dict[str, object] = {
            "ruleId": f"rule.{i % 50}",
            "message": {"text": f"finding {i} in a function that does something questionable"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": f"src/pkg{i % 97}/mod{i % 13}.py",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": i % 500 + 1, "startColumn": 5, "endColumn": 30},
                    }
                }
            ],
            "fingerprints": {"0": f"{i:040x}"},
        }
        if i % 10 == 0:
            r["suppressions"] = [{"kind": "inSource"}]
        res.append(r)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "semgrep", "rules": rules}}, "results": res}],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


def measure(which: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, which, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only 10k and 100k results")
    args = ap.parse_args()
    compile_sources()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 300_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"results-{n}.sarif"
            generate(path, n)
            mb = path.stat().st_size / 2**20
            bare = measure("bare", path)
            ours = measure("testgate", path)
            assert bare["n"] == ours["n"], (bare, ours)
            rows.append(
                f"| {n:,} | {mb:.1f} MiB | {bare['s']:.2f} s / {bare['peak'] / 2**20:.0f} MiB "
                f"| {ours['s']:.2f} s / {ours['peak'] / 2**20:.0f} MiB | {ours['n']:,} |"
            )
            print(rows[-1], flush=True)
    table = "\n".join(
        [
            "# SARIF reading",
            "",
            "Generated semgrep-shaped SARIF, every tenth result suppressed; wall time and growth of",
            "peak RSS (VmHWM) per reader, each in a fresh process, on the same file (2 shared",
            "cores, loaded by other jobs: compare the columns, not the absolute numbers).",
            "",
            "| results | file | bare json.load + count | testgate `sarif` adapter | findings |",
            "| ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
    out = HERE / "results" / "sarif.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
