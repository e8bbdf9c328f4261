"""Pipeline benchmarks, side by side in one run (issue 2).

(a) Overhead per step: 500 trivial steps (`true`) on 2 workers, testgate against `xargs -P2`
    and GNU parallel running the same 500 commands through `sh -c`.
(b) Makespan of a 200-step DAG of known sleep durations against the lower bound
    max(critical path, total work / workers), cold (no previous durations) and warm (the
    previous run's durations steer the longest-first order).

Usage: python benchmarks/bench_pipeline.py [--quick]
Writes benchmarks/results/pipeline.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

TESTGATE = [sys.executable, "-m", "testgate"]


def timed(
    cmd: list[str] | str, *, cwd: Path, shell: bool = False, input: str | None = None
) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        shell=shell,
        input=input,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {cmd}\n{proc.stderr}")
    return elapsed


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    return min(fn() for _ in range(n))


def overhead(work: Path, steps: int, repeats: int) -> list[tuple[str, float, float]]:
    """(tool, wall for *steps*, marginal ms per step between steps/5 and steps)."""

    def setup(n: int) -> str:
        cfg = {
            "pipeline": {
                "stages": [
                    {
                        "name": "trivial",
                        "steps": [{"name": f"s{i}", "run": "true"} for i in range(n)],
                    }
                ]
            }
        }
        (work / f"tg{n}.yaml").write_text(yaml.safe_dump(cfg))
        return "\n".join("true" for _ in range(n)) + "\n"

    small = steps // 5
    tools = {
        "testgate run --workers 2": lambda n, cmds: timed(
            [*TESTGATE, "run", "-c", f"tg{n}.yaml", "--workers", "2", "--quiet"], cwd=work
        ),
        "xargs -P2 sh -c": lambda n, cmds: timed(
            ["xargs", "-P2", "-I{}", "sh", "-c", "{}"], cwd=work, input=cmds
        ),
    }
    if shutil.which("parallel"):
        tools["GNU parallel -j2"] = lambda n, cmds: timed(
            ["parallel", "-j2", "--will-cite"], cwd=work, input=cmds
        )
    rows = []
    cmds = {n: setup(n) for n in (small, steps)}
    for name, fn in tools.items():
        big = best_of(repeats, lambda: fn(steps, cmds[steps]))  # noqa: B023
        little = best_of(repeats, lambda: fn(small, cmds[small]))  # noqa: B023
        rows.append((name, big, 1000 * (big - little) / (steps - small)))
    return rows


def make_dag(n_steps: int, seed: int) -> tuple[dict, dict[str, list[str]], dict[str, list[float]]]:
    """Stages of 5-15 steps; each stage depends on 0-2 earlier stages."""
    rng = random.Random(seed)
    stages: list[dict] = []
    deps: dict[str, list[str]] = {}
    durs: dict[str, list[float]] = {}
    made = 0
    while made < n_steps:
        k = min(rng.randint(5, 15), n_steps - made)
        name = f"st{len(stages)}"
        earlier = [s["name"] for s in stages]
        d = rng.sample(earlier, k=min(len(earlier), rng.randint(0, 2))) if earlier else []
        sleeps = [round(rng.uniform(0.05, 0.6), 3) for _ in range(k)]
        stages.append(
            {
                "name": name,
                "depends_on": d,
                "steps": [
                    {"name": f"{name}-{j}", "run": f"sleep {s}"} for j, s in enumerate(sleeps)
                ],
            }
        )
        deps[name], durs[name] = d, sleeps
        made += k
    return {"pipeline": {"stages": stages}}, deps, durs


def lower_bound(deps: dict[str, list[str]], durs: dict[str, list[float]], workers: int) -> float:
    finish: dict[str, float] = {}
    for name in deps:  # stages are in topological order by construction
        start = max((finish[d] for d in deps[name]), default=0.0)
        finish[name] = start + max(durs[name])
    critical = max(finish.values())
    total = sum(sum(v) for v in durs.values())
    return max(critical, total / workers)


def makespan(work: Path, n_steps: int, workers: int) -> list[tuple[str, float, float]]:
    cfg, deps, durs = make_dag(n_steps, seed=7)
    (work / "testgate.yaml").write_text(yaml.safe_dump(cfg))
    bound = lower_bound(deps, durs, workers)
    rows = []
    for label in ("cold (no history)", "warm (previous durations)"):
        wall = timed(
            [*TESTGATE, "run", "-c", "testgate.yaml", "--workers", str(workers), "--quiet"],
            cwd=work,
        )
        summary = json.loads((work / ".testgate/latest/summary.json").read_text())
        pipeline_s = summary["metrics"].get("pipeline.duration_s", wall)
        rows.append((label, pipeline_s, bound))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = ap.parse_args()
    compile_sources()
    steps, repeats, dag_steps, workers = (100, 1, 60, 4) if args.quick else (500, 3, 200, 4)
    out = [
        "## Pipeline (issue 2)\n",
        f"Machine: {os.cpu_count()} cores. Each figure is the best "
        f"of {repeats} runs, measured in one run of `benchmarks/bench_pipeline.py`.\n",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = overhead(work, steps, repeats)
        out.append(f"### (a) Overhead per step: {steps} trivial steps (`true`) on 2 workers\n")
        out.append(
            "| tool | wall (s) | per step, all in (ms) | per step, marginal (ms) "
            "| wall vs GNU parallel |"
        )
        out.append("| --- | ---: | ---: | ---: | ---: |")
        par = next((w for n, w, _ in rows if n.startswith("GNU")), None)
        for name, wall, marginal in rows:
            ratio = f"{wall / par:.2f}x" if par else "n/a"
            out.append(
                f"| {name} | {wall:.3f} | {1000 * wall / steps:.2f} | {marginal:.2f} | {ratio} |"
            )
        out.append(
            f"\n*All in* is the whole command's wall time divided by {steps}: start-up, "
            "planning, per-step logs, the summary and recording the run in the history are "
            f"included for testgate. *Marginal* is (time for {steps} steps - time for "
            f"{steps // 5}) / {steps - steps // 5}: the cost of one more step, start-up "
            "excluded.\n"
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows2 = makespan(work, dag_steps, workers)
        out.append(f"### (b) Makespan of a {dag_steps}-step DAG of sleeps on {workers} workers\n")
        out.append("| run | makespan (s) | lower bound (s) | over the bound |")
        out.append("| --- | ---: | ---: | ---: |")
        for label, span, bound in rows2:
            out.append(
                f"| {label} | {span:.2f} | {bound:.2f} | {100 * (span / bound - 1):+.1f} % |"
            )
        out.append(
            "\nLower bound = max(critical path, total work / workers); the makespan is "
            "the run's `pipeline.duration_s`.\n"
        )
    text = "\n".join(out)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "pipeline.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
