"""Test selection on a real project: testgate select vs pytest-testmon 2.x, same mutants.

Usage::

    .venv/bin/python benchmarks/bench_selection.py [--mutants 20] [--reps 3] [--seed 1]
                                                    [--project DIR]

The project (default): more-itertools 10.5.0's source distribution from PyPI, which ships its
test suite (663 tests), fetched by ``pip download --no-deps --no-binary :all:
more-itertools==10.5.0`` into ``benchmarks/.work/selection/`` (``--project DIR`` uses an
unpacked source tree instead; its tests must live in ``tests/`` and its package at the top).
Nothing of it is committed. A separate virtual environment there holds pytest, pytest-cov,
pytest-testmon 2.x and this testgate.

1. **Recording overhead** (``--reps`` interleaved repetitions, each a whole process tree:
   wall, CPU user+system of the tree, peak RSS of its largest process): plain pytest; a full
   ``testgate run`` whose pytest step measures coverage with ``--cov-context=test`` (and
   ``--cov-report=``: testgate reads the data file, so pytest-cov's terminal report would be
   a second analysis nobody reads) and records the test map; testmon's first run
   (``pytest --testmon`` from no data).
2. **Mutants**: ``--mutants`` small mutants of function bodies (an operator, a constant or a
   return value on one line of the body, chosen with ``--seed``) across the package's modules,
   applied one at a time, kept when the full suite fails on them. For each: the ground truth is
   the full suite's failures (plain pytest); testgate's selection is ``testgate select --base
   main --format json`` against the map of the recorded run; testmon's is ``pytest --testmon
   --collect-only`` from its first run's data (restored before each mutant). Recall (failing
   tests selected / failing tests), fraction of the suite selected and the selection's time.

Writes the figures to stdout and ``benchmarks/results/selection.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402

REPO = HERE.parent
WORK = HERE / ".work" / "selection"
RESULTS = HERE / "results" / "selection.md"
PROJECT = "more-itertools==10.5.0"

# the wrapper every measured command runs under: the tree's CPU time and largest RSS
MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    t0 = time.perf_counter()
    p = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "cpu": r.ru_utime + r.ru_stime, "rss_kb": r.ru_maxrss,
                      "code": p.returncode, "out": p.stdout[-200000:], "err": p.stderr[-4000:]}))
    """
)

MUTATIONS: list[tuple[str, str]] = [
    (r" \+ ", " - "),
    (r" - ", " + "),
    (r" < ", " <= "),
    (r" <= ", " < "),
    (r" > ", " >= "),
    (r" >= ", " > "),
    (r" == ", " != "),
    (r" != ", " == "),
    (r"\bTrue\b", "False"),
    (r"\bFalse\b", "True"),
    (r"(?<![\w.])1(?![\w.])", "2"),
    (r"(?<![\w.])0(?![\w.])", "1"),
    (r"\bnot ", ""),
    (r"\band\b", "or"),
    (r"\bor\b", "and"),
]


def sh(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def measure(cwd: Path, *cmd: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(cwd), *cmd], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def prepare(project: Path | None) -> tuple[Path, Path]:
    """(pristine source tree, the benchmark's venv python)."""
    WORK.mkdir(parents=True, exist_ok=True)
    if project is None:
        dl = WORK / "download"
        if not any(dl.glob("*.tar.gz")):
            dl.mkdir(exist_ok=True)
            sh(
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                PROJECT,
                "-d",
                str(dl),
            )
        src = WORK / "src"
        if not src.exists():
            (tgz,) = dl.glob("*.tar.gz")
            with tarfile.open(tgz) as tar:
                tar.extractall(WORK / "unpacked", filter="data")
            (tree,) = (WORK / "unpacked").iterdir()
            shutil.move(str(tree), src)
        project = src
    venv = WORK / "venv"
    py = venv / "bin" / "python"
    if not py.exists():
        sh(sys.executable, "-m", "venv", str(venv))
        sh(
            str(py),
            "-m",
            "pip",
            "install",
            "-q",
            "pytest",
            "pytest-cov",
            "pytest-testmon>=2,<3",
        )
    # testgate as it is now, on every run (a venv kept from an earlier run holds older code)
    sh(str(py), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(REPO))
    return project, py


def package_of(src: Path) -> str:
    return next(
        p.name for p in sorted(src.iterdir()) if (p / "__init__.py").is_file() and p.name != "tests"
    )


def fresh_copy(src: Path, dest: Path, config: str | None) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    (dest / ".gitignore").write_text(
        ".testgate/\nreports/\n.coverage\n__pycache__/\n.testmondata*\n.pytest_cache/\n"
    )
    if config is not None:
        (dest / "testgate.yaml").write_text(config)
    own = [("pytest.ini", ""), ("pyproject.toml", "[tool.pytest"), ("tox.ini", "[pytest]")]
    own.append(("setup.cfg", "[tool:pytest]"))
    if not any((dest / n).exists() and m in (dest / n).read_text() for n, m in own):
        # the copies live inside testgate's repository: without a configuration of their own,
        # pytest would take testgate's pyproject.toml (its options, warnings as errors)
        (dest / "pytest.ini").write_text("[pytest]\n")
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    sh("git", "add", "-A", cwd=dest)
    sh(
        "git",
        "-c",
        "user.email=b@example.com",
        "-c",
        "user.name=bench",
        "commit",
        "-qm",
        "pristine",
        cwd=dest,
    )


def testmon_save(tm: Path, dest: Path) -> None:
    """Copy testmon's SQLite data whole: checkpoint its write-ahead log into the file first."""
    import sqlite3

    with sqlite3.connect(tm / ".testmondata") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(tm / ".testmondata", dest)


def testmon_restore(src: Path, tm: Path) -> None:
    """Put testmon's data back as its first run left it (no stale write-ahead log beside it)."""
    for f in tm.glob(".testmondata*"):
        f.unlink()
    shutil.copy(src, tm / ".testmondata")


def failures(out: str) -> set[str]:
    found = set()
    for line in out.splitlines():
        m = re.match(r"^(?:FAILED|ERROR|SUBFAIL) (\S+?)(?: - .*)?$", line)
        if m:
            found.add(m.group(1).split(" [", 1)[0])
    return found


def mutants(pkg_dir: Path, seed: int) -> list[tuple[Path, str, int, str, str]]:
    """Candidate mutants (file, function, line, old line, new line), shuffled by *seed*."""
    rng = random.Random(seed)
    out = []
    for path in sorted(pkg_dir.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines(keepends=True)
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
            ):
                body = body[1:]
            if not body:
                continue
            cands = []
            for ln in range(body[0].lineno, (node.end_lineno or body[0].lineno) + 1):
                line = lines[ln - 1]
                if line.strip().startswith("#"):
                    continue
                for pat, rep in MUTATIONS:
                    if re.search(pat, line):
                        new = re.sub(pat, rep, line, count=1)
                        cands.append((path, node.name, ln, line, new))
            if cands:
                out.append(rng.choice(cands))
    rng.shuffle(out)
    return out


def apply(root: Path, rel: Path, ln: int, new: str) -> bool:
    target = root / rel
    lines = target.read_text().splitlines(keepends=True)
    lines[ln - 1] = new
    text = "".join(lines)
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    target.write_text(text)
    return True


def caught(failing: set[str], selected: set[str] | str) -> int:
    return len(failing) if isinstance(selected, str) else len(failing & selected)


def size(total: int, selected: set[str] | str) -> int:
    return total if isinstance(selected, str) else len(selected)


def stats(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--mutants", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--project", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="5 mutants, 1 repetition")
    args = ap.parse_args()
    compile_sources()
    if args.quick:
        args.mutants, args.reps = 5, 1
    src, py = prepare(args.project)
    pkg = package_of(src)
    testgate = str(py.parent / "testgate")
    pytest_args = ["-q", "-rfE", "-p", "no:randomly", "tests"]
    config = textwrap.dedent(
        f"""\
        pipeline:
          stages:
            - name: unit
              steps:
                - name: pytest
                  run: >-
                    {py} -m pytest -q -p no:cacheprovider -p no:randomly --cov={pkg}
                    --cov-context=test --cov-report= --junitxml=reports/junit.xml tests
                  env: {{PYTHONPATH: .}}
                  reports: [reports/junit.xml, .coverage]
        """
    )
    tg = WORK / "w-testgate"
    tm = WORK / "w-testmon"
    plain = WORK / "w-plain"
    fresh_copy(src, tg, config)
    fresh_copy(src, tm, None)
    fresh_copy(src, plain, None)
    env_note = f"PYTHONPATH=. in {src.name}"
    os.environ["PYTHONPATH"] = "."
    # 1. recording overhead, interleaved
    rec: dict[str, list[dict[str, object]]] = {
        "plain pytest": [],
        "testgate run (records the map)": [],
        "testmon first run": [],
    }
    total_tests = 0
    for rep in range(args.reps):
        r = measure(plain, str(py), "-m", "pytest", "-p", "no:cacheprovider", *pytest_args)
        rec["plain pytest"].append(r)
        db = f"sqlite:///{WORK / f'rep{rep}.db'}" if rep else None
        cmd = [testgate, "run", "--no-cache", "-q"] + (["--db", db] if db else [])
        r = measure(tg, *cmd)
        assert r["code"] == 0, r
        rec["testgate run (records the map)"].append(r)
        for f in tm.glob(".testmondata*"):
            f.unlink()
        r = measure(tm, str(py), "-m", "pytest", "--testmon", *pytest_args)
        rec["testmon first run"].append(r)
        if rep == 0:
            testmon_save(tm, WORK / "testmondata.pristine")
            # the suite's size as pytest collects it (passed and skipped tests alike)
            counts = re.findall(
                r"(\d+) (passed|skipped|failed)", str(rec["plain pytest"][0]["out"])
            )
            total_tests = sum(int(n) for n, _ in counts)
    testmon_restore(WORK / "testmondata.pristine", tm)
    sh("git", "checkout", "-q", "-b", "feature", cwd=tg)
    # 2. mutants
    rows = []
    tried = 0
    for path, func, ln, old, new in mutants(src / pkg, args.seed):
        if len(rows) >= args.mutants:
            break
        rel = path.relative_to(src)
        tried += 1
        if not apply(tg, rel, ln, new):
            continue
        apply(tm, rel, ln, new)
        truth = measure(tg, str(py), "-m", "pytest", "-p", "no:cacheprovider", *pytest_args)
        failing = failures(str(truth["out"]))
        if not failing:  # a surviving mutant says nothing about recall
            sh("git", "checkout", "-q", "--", str(rel), cwd=tg)
            shutil.copy(src / rel, tm / rel)
            continue
        sel = measure(tg, testgate, "select", "--base", "main", "--format", "json")
        doc = json.loads(str(sel["out"]))
        chosen = {t["id"] for t in doc["tests"]}
        whole = doc["full"] or any(s["run"] and s["whole"] for s in doc["steps"])
        tg_sel: set[str] | str = "all" if whole else chosen
        testmon_restore(WORK / "testmondata.pristine", tm)
        tmr = measure(
            tm,
            str(py),
            "-m",
            "pytest",
            "--testmon",
            "--collect-only",
            "-q",
            "-p",
            "no:randomly",
            "tests",
        )
        tm_sel = {line.strip() for line in str(tmr["out"]).splitlines() if "::" in line}
        testmon_restore(WORK / "testmondata.pristine", tm)
        sh("git", "checkout", "-q", "--", str(rel), cwd=tg)
        shutil.copy(src / rel, tm / rel)

        rows.append(
            {
                "mutant": f"{rel}:{ln} {func}: {old.strip()} -> {new.strip()}",
                "failing": len(failing),
                "tg_caught": caught(failing, tg_sel),
                "tg_selected": size(total_tests, tg_sel),
                "tg_wall": sel["wall"],
                "tg_cpu": sel["cpu"],
                "tg_why": doc["steps"][0]["why"],
                "tm_caught": caught(failing, tm_sel),
                "tm_selected": size(total_tests, tm_sel),
                "tm_wall": tmr["wall"],
                "tm_cpu": tmr["cpu"],
                "missed_tg": sorted(failing - chosen) if tg_sel != "all" else [],
                "missed_tm": sorted(failing - tm_sel),
            }
        )
        print(
            f"[{len(rows)}/{args.mutants}] {rows[-1]['mutant']}: {len(failing)} failing; testgate {rows[-1]['tg_caught']}/{len(failing)} caught, {rows[-1]['tg_selected']} selected; testmon {rows[-1]['tm_caught']}/{len(failing)}, {rows[-1]['tm_selected']}",
            flush=True,
        )
    report(rows, rec, total_tests, tried, args, env_note)
    return 0


def report(
    rows: list[dict[str, object]],
    rec: dict[str, list[dict[str, object]]],
    total: int,
    tried: int,
    args: argparse.Namespace,
    note: str,
) -> None:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    out = [
        "## Test selection: testgate select vs pytest-testmon 2.x",
        "",
        f"`.venv/bin/python benchmarks/bench_selection.py --mutants {args.mutants} --reps {args.reps} --seed {args.seed}` on {PROJECT} ({total} tests), Python {sys.version.split()[0]}; load: `{load}`",
        "",
        "Recording (whole process trees; min / median / max of the interleaved repetitions):",
        "",
        "| run | wall s | CPU s | peak RSS MiB | CPU vs plain |",
        "| --- | --- | --- | --- | --- |",
    ]
    base = statistics.median([float(r["cpu"]) for r in rec["plain pytest"]])  # type: ignore[arg-type]
    for name, rs in rec.items():
        walls = [float(r["wall"]) for r in rs]  # type: ignore[arg-type]
        cpus = [float(r["cpu"]) for r in rs]  # type: ignore[arg-type]
        rss = [float(r["rss_kb"]) / 1024 for r in rs]  # type: ignore[arg-type]
        out.append(
            f"| {name} | {stats(walls)} | {stats(cpus)} | {stats(rss)} | {statistics.median(cpus) / base:.2f}x |"
        )
    fail = sum(int(r["failing"]) for r in rows)  # type: ignore[call-overload]
    tg_c = sum(int(r["tg_caught"]) for r in rows)  # type: ignore[call-overload]
    tm_c = sum(int(r["tm_caught"]) for r in rows)  # type: ignore[call-overload]
    tg_frac = [int(r["tg_selected"]) / total for r in rows]  # type: ignore[call-overload]
    tm_frac = [int(r["tm_selected"]) / total for r in rows]  # type: ignore[call-overload]
    out += [
        "",
        f"Mutants: {len(rows)} killed mutants (of {tried} tried; survivors are skipped) of function bodies; ground truth = the full suite's failures ({fail} failing tests in all).",
        "",
        "| tool | recall | mutants with a miss | fraction selected (min / median / max) | mean fraction | select wall s (min / median / max) | select CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| testgate select | {tg_c / fail:.1%} ({tg_c}/{fail}) | {sum(1 for r in rows if r['missed_tg'])} | {stats(tg_frac)} | {statistics.mean(tg_frac):.3f} | {stats([float(r['tg_wall']) for r in rows])} | {stats([float(r['tg_cpu']) for r in rows])} |",  # type: ignore[arg-type]
        f"| pytest --testmon (--collect-only) | {tm_c / fail:.1%} ({tm_c}/{fail}) | {sum(1 for r in rows if r['missed_tm'])} | {stats(tm_frac)} | {statistics.mean(tm_frac):.3f} | {stats([float(r['tm_wall']) for r in rows])} | {stats([float(r['tm_cpu']) for r in rows])} |",  # type: ignore[arg-type]
        "",
        "| mutant | failing | testgate caught / selected | testmon caught / selected |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        out.append(
            f"| `{r['mutant']}` | {r['failing']} | {r['tg_caught']} / {r['tg_selected']} | {r['tm_caught']} / {r['tm_selected']} |"
        )
    misses = [(r["mutant"], r["missed_tg"]) for r in rows if r["missed_tg"]]
    if misses:
        out += ["", "testgate misses:"] + [f"- `{m}`: {', '.join(x)}" for m, x in misses]  # type: ignore[arg-type]
    text = "\n".join(out) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    del note


if __name__ == "__main__":
    raise SystemExit(main())
