"""Benchmark the gates: a verdict over a huge run, and new-code coverage against diff-cover.

1. 200 criteria over a run of 1M tests and 10k coverage files (built in memory): the time of
   ``evaluate()`` (goal: under a second).
2. New-code coverage on a generated git repository with a Cobertura report: ``diff-cover`` against
   ``testgate ingest`` + ``testgate gate`` (the real commands, whole processes, interleaved,
   several repetitions), the same percentage and uncovered lines checked on every run, and the
   CPU time ratio of the medians (goal: testgate at least 3x faster).

Run: ``.venv/bin/python benchmarks/bench_gates.py [--quick] [--reps N]``; writes
benchmarks/results/gates.md (``--newcode-only`` prints the comparison and writes nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testgate.gates.evaluate import evaluate
from testgate.gates.spec import parse_gates
from testgate.model import FileCoverage, Finding, Run, TestCase
from testgate.plugins import get_plugins

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

BIN = Path(sys.executable).parent


def build_run(n_tests: int, n_files: int, lines_per_file: int, seed: int = 1) -> Run:
    rnd = random.Random(seed)
    run = Run(id=f"bench-{seed}")
    tests = run.tests
    for i in range(n_tests):
        status = "failed" if i % 10_000 == 7 else ("skipped" if i % 997 == 0 else "passed")
        tests.append(
            TestCase(
                "suite",
                f"pkg{i % 500}.test_mod{i % 37}",
                f"test_{i}",
                status=status,
                duration_s=0.001,
                message="assert 1 == 2" if status == "failed" else None,
                step=("unit" if i % 3 else "integration"),
            )
        )
    for f in range(n_files):
        comp = ("web", "api", "core", "ml", "cli")[f % 5]
        path = f"{comp}/mod{f // 100}/file{f}.py"
        lines = {n: (1 if rnd.random() < 0.85 else 0) for n in range(1, lines_per_file + 1)}
        run.coverage.add(FileCoverage(path, lines))
    for k in range(200):
        run.findings.append(
            Finding(
                "trivy",
                f"CVE-2024-{k}",
                ("low", "medium", "high")[k % 3],
                "x",
                "vulnerability",
                package=f"pkg{k}",
                version="1.0",
            )
        )
    for s in range(20):
        run.metrics[f"perf.scenario{s}.p95_ms"] = 100.0 + s * 7
        run.metrics[f"perf.scenario{s}.p50_ms"] = 40.0 + s
        run.metrics[f"perf.scenario{s}.rps"] = 1000.0 - s
        run.metrics[f"perf.scenario{s}.error_rate"] = 0.01 * s
    run.metrics.update({"lint.errors": 0.0, "duplication.percent": 2.5, "mutation.score": 71.0})
    run.finalize()
    return run


def gate_config(n_criteria: int) -> dict[str, object]:
    """n criteria spread over ten gates, mixing every kind the evaluator has."""
    makers = [
        lambda i: {"metric": "tests.failed", "threshold": f"<= {i}"},
        lambda i: {"metric": "tests.pass_rate", "threshold": f">= {90 + i % 10}%"},
        lambda i: {"metric": "tests@integration.failed", "threshold": "== 0"},
        lambda i: {
            "metric": "coverage.line",
            "threshold": f">= {70 + i % 20}%",
            "trend": "not_decreasing",
        },
        lambda i: {
            "metric": f"coverage.component.c{i}",
            "threshold": ">= 80%",
            "paths": [f"{('web', 'api', 'core', 'ml', 'cli')[i % 5]}/mod{i % 100}/**"],
        },
        lambda i: {"metric": "perf.*.p95_ms", "threshold": f"< {150 + i}ms"},
        lambda i: {"metric": f"perf.scenario{i % 20}.p50_ms", "threshold": "< 0.05s"},
        lambda i: {"metric": "security.high", "threshold": f"< {i % 100}"},
        lambda i: {"metric": "perf.*.error_rate", "threshold": "< 0.1%"},
        lambda i: {"metric": "mutation.score", "threshold": "> 80%", "level": "warn"},
    ]
    gates: dict[str, dict[str, object]] = {}
    for i in range(n_criteria):
        g = gates.setdefault(f"gate{i % 10}", {"criteria": {}})
        crit = g["criteria"]
        assert isinstance(crit, dict)
        crit[f"c{i}"] = makers[i % len(makers)](i)
    return gates


def bench_verdict(n_tests: int, n_files: int, repeats: int) -> dict[str, object]:
    t0 = time.perf_counter()
    run = build_run(n_tests, n_files, 100)
    base = build_run(1000, n_files // 10 or 1, 100, seed=2)
    build_s = time.perf_counter() - t0
    get_plugins()  # the criteria registry is filled by the plugin manager, as in a command
    spec = parse_gates(
        gate_config(200),
        None,
        [{"test": f"pkg7.test_mod7::test_{i}", "owner": "x"} for i in range(50)],
    )
    n_crit = sum(len(g.criteria) for g in spec.gates.values())
    times = []
    verdict = None
    for _ in range(repeats):
        t = time.perf_counter()
        verdict = evaluate(spec, run, baseline=base)
        times.append(time.perf_counter() - t)
    assert verdict is not None
    return {
        "tests": n_tests,
        "files": n_files,
        "criteria": n_crit,
        "build_s": build_s,
        "best_s": min(times),
        "median_s": statistics.median(times),
        "verdict": verdict.verdict,
        "statuses": {
            s: sum(r.status == s for r in verdict.results)
            for s in ("pass", "fail", "warn", "not_measured", "skipped")
        },
    }


# ----------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def make_repo(root: Path, n_files: int, n_lines: int, changed_frac: float) -> Run:
    """A repository whose feature branch changes a share of the files; its coverage as a Run."""
    rnd = random.Random(3)
    repo = root / "repo"
    (repo / "src").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for f in range(n_files):
        body = "".join(f"x_{f}_{n} = {n}\n" for n in range(1, n_lines + 1))
        (repo / "src" / f"m{f}.py").write_text(body)
    (repo / ".gitignore").write_text(
        "coverage.xml\n.testgate/\nreport.json\ntestgate.yaml\nout.json\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    final_lines: dict[int, int] = {}
    for f in range(n_files):
        lines = [f"x_{f}_{n} = {n}\n" for n in range(1, n_lines + 1)]
        if rnd.random() < changed_frac:
            for _ in range(5):  # five hunks: some replaced lines, some inserted ones
                at = rnd.randrange(len(lines))
                if rnd.random() < 0.5:
                    lines[at] = f"y_{f}_{at} = {at} * 2\n"
                else:
                    lines[at:at] = [f"z_{f}_{at}_{k} = {k}\n" for k in range(3)]
            (repo / "src" / f"m{f}.py").write_text("".join(lines))
        final_lines[f] = len(lines)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    # a Cobertura report over the working tree, and the same data as a testgate Run
    run = Run(id="newcode")
    out = [
        '<?xml version="1.0" ?>',
        '<coverage line-rate="0.8" branch-rate="0" version="7" timestamp="0">',
        f"<sources><source>{repo}</source></sources>",
        '<packages><package name="src" line-rate="0.8"><classes>',
    ]
    for f, count in final_lines.items():
        path = f"src/m{f}.py"
        hits = {n: (1 if rnd.random() < 0.8 else 0) for n in range(1, count + 1)}
        run.coverage.add(FileCoverage(path, hits))
        out.append(f'<class name="m{f}.py" filename="{path}" line-rate="0.8"><methods/><lines>')
        out.extend(f'<line number="{n}" hits="{h}"/>' for n, h in hits.items())
        out.append("</lines></class>")
    out.append("</classes></package></packages></coverage>")
    (repo / "coverage.xml").write_text("\n".join(out))
    return run


def _child_env() -> dict[str, str]:
    """The environment of the measured processes: bytecode caching allowed.

    With PYTHONDONTWRITEBYTECODE set (as in this project's shells), an editable install compiles
    testgate's modules from source in every process, which an installed wheel never does
    (pip compiles them at install time); diff-cover's bytecode is in site-packages already.
    One warm-up run per side, not counted, writes the caches.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children, e.g. git)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=_child_env())
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode in ok, (cmd, proc.returncode, proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _expand(text: str) -> list[int]:
    """``9-10, 26`` (compress_lines) -> ``[9, 10, 26]``."""
    out: list[int] = []
    for part in text.split(", "):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def _check_same(repo: Path) -> tuple[float, int]:
    """Both tools' fresh outputs name the same uncovered changed lines and percentage."""
    from testgate.gates.facts import new_code_coverage
    from testgate.gates.newcode import changed_lines
    from testgate.model import read_summary

    theirs = json.loads((repo / "report.json").read_text())
    ours = json.loads((repo / "out.json").read_text())
    (crit,) = ours["criteria"]
    their_uncovered = {
        p: s["violation_lines"] for p, s in theirs["src_stats"].items() if s["violation_lines"]
    }
    # the verdict lists the first 20 files with their uncovered lines: as diff-cover's
    listed = dict(d.split(": uncovered new lines ") for d in crit["details"])
    first = dict(sorted(their_uncovered.items())[: len(listed)])
    assert {p: _expand(v) for p, v in listed.items()} == first, "uncovered lines differ"
    assert round(crit["actual"], 2) == theirs["total_percent_covered"], (
        crit["actual"],
        theirs["total_percent_covered"],
    )
    # and every file's: the lines the gate counted, from the summary that ingest wrote
    run = read_summary(repo / ".testgate" / "latest" / "summary.json")
    nc = new_code_coverage(changed_lines(repo, "main"), run)
    assert nc.uncovered == their_uncovered, "uncovered lines differ"
    assert nc.total == theirs["total_num_lines"], (nc.total, theirs["total_num_lines"])
    assert nc.percent == crit["actual"]
    return crit["actual"], nc.total


def _stats(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def bench_newcode(n_files: int, n_lines: int, repeats: int) -> dict[str, object]:
    """``testgate ingest`` + ``testgate gate`` against ``diff-cover``, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        make_repo(Path(tmp), n_files, n_lines, 0.3)
        repo = Path(tmp) / "repo"
        (repo / "testgate.yaml").write_text(
            "gates:\n  cov:\n    criteria:\n      new_code: {threshold: '>= 90%'}\n"
        )
        dc = [
            str(BIN / "diff-cover"),
            "coverage.xml",
            "--compare-branch=main",
            "--format",
            "json:report.json",
            "--total-percent-float",
        ]
        ingest = [str(BIN / "testgate"), "ingest", "coverage.xml"]
        ingest += ["-o", ".testgate/latest/summary.json"]
        gate = [str(BIN / "testgate"), "gate", "--base", "main", "--format", "json"]
        gate += ["-o", "out.json"]
        outputs = [repo / "report.json", repo / "out.json", repo / ".testgate/latest/summary.json"]

        def run_dc() -> float:
            return timed(dc, repo)[1]

        def run_tg() -> float:
            return timed(ingest, repo)[1] + timed(gate, repo, (0, 3))[1]

        run_dc(), run_tg()  # warm-up (bytecode caches), not counted
        dc_cpu: list[float] = []
        tg_cpu: list[float] = []
        pct = 0.0
        changed = 0
        for i in range(repeats):
            for p in outputs:
                p.unlink()
            # interleaved, and which side goes first alternates
            if i % 2:
                tg_cpu.append(run_tg())
                dc_cpu.append(run_dc())
            else:
                dc_cpu.append(run_dc())
                tg_cpu.append(run_tg())
            pct, changed = _check_same(repo)  # on every run
        return {
            "files": n_files,
            "lines": n_lines,
            "changed_lines": changed,
            "repeats": repeats,
            "diff_cover_cpu": dc_cpu,
            "testgate_cpu": tg_cpu,
            "pct": pct,
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    ap.add_argument("--reps", type=int, default=0, help="new-code repetitions (default 7)")
    ap.add_argument(
        "--newcode-only",
        action="store_true",
        help="only the new-code comparison, printed (results file not written)",
    )
    args = ap.parse_args()
    compile_sources()
    reps = args.reps or (3 if args.quick else 7)
    load_before = _uptime()
    v = None
    if not args.newcode_only:
        v = bench_verdict(100_000, 1_000, 3) if args.quick else bench_verdict(1_000_000, 10_000, 5)
    n = bench_newcode(300, 200, reps) if args.quick else bench_newcode(2_000, 300, reps)
    load_after = _uptime()
    import diff_cover

    dc_version = getattr(diff_cover, "VERSION", None) or _dist_version("diff-cover")
    dc_cpu: list[float] = n["diff_cover_cpu"]  # type: ignore[assignment]
    tg_cpu: list[float] = n["testgate_cpu"]  # type: ignore[assignment]
    cpu_ratio = statistics.median(dc_cpu) / statistics.median(tg_cpu)
    newcode = [
        "## New-code coverage vs diff-cover",
        "",
        f"A generated git repository of {n['files']:,} files x {n['lines']} lines with a "
        "coverage.py-style Cobertura report; the feature branch changes 30% of the files in "
        f"five hunks each ({n['changed_lines']:,} changed coverable lines). The real commands, "
        "each a whole process reading its inputs from files: `diff-cover coverage.xml "
        "--compare-branch=main --format json:report.json --total-percent-float` against "
        "`testgate ingest coverage.xml -o .testgate/latest/summary.json` followed by "
        "`testgate gate --base main --format json -o out.json` (a config whose gate has a "
        "`new_code` criterion). Interleaved (the side that goes first alternates), "
        f"{n['repeats']} repetitions after one warm-up each (bytecode caches written, as an "
        "installed wheel has them); CPU time is user + system of each process and its "
        "children (git included), min / median / max in seconds.",
        "",
        "| tool | CPU time (min / median / max) | new-code coverage |",
        "| --- | ---: | ---: |",
        f"| diff-cover {dc_version} | {_stats(dc_cpu)} | {n['pct']:.2f}% |",
        f"| testgate ingest + gate | {_stats(tg_cpu)} | {n['pct']:.2f}% |",
        "",
        f"Ratio of the medians: testgate is **{cpu_ratio:.2f}x** faster than diff-cover "
        f"(goal: at least 3x, {'met' if cpu_ratio >= 3 else 'not met'}). Checked on every "
        "run: the same percentage, the same uncovered lines for the files the verdict lists, "
        "and for every file the same uncovered changed lines and the same number of changed "
        "coverable lines, counted from the summary that this run's ingest wrote.",
        "",
        f"Load before: `{load_before}`; after: `{load_after}`.",
        "",
    ]
    if v is None:
        print("\n".join(newcode))
        return 0
    lines = [
        "# Gates benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}; {'--quick' if args.quick else 'full'} run of "
        f"`benchmarks/bench_gates.py`.",
        "",
        "## Verdict over a large run",
        "",
        "| tests | coverage files | criteria | evaluate() best | median | verdict |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {v['tests']:,} | {v['files']:,} | {v['criteria']} | {v['best_s']:.3f} s | "
        f"{v['median_s']:.3f} s | {v['verdict']} ({v['statuses']}) |",
        "",
        f"Goal: under 1 s. The run is built in memory ({v['build_s']:.1f} s, not counted); the "
        "criteria mix test counts with quarantine, scoped test counts, coverage with trend, "
        "component globs, wildcard perf metrics, security counts and warn-level criteria.",
        "",
        *newcode,
    ]
    out = HERE / "results" / "gates.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(uptime unavailable)"


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
