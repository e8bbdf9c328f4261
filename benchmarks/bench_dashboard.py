"""Dashboard under load: `testgate serve` over a big history, driven by Locust (headless).

Usage: .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--runs N] [--tests N]
       [--users U] [--seconds S] [--repeat N] [--before REF] [--big] [--keep PATH]

* A SQLite history of RUNS runs x TESTS tests (200 x 10,000 = 2M results by default; the
  synthetic history of bench_history.py: flaky, broken, slow tests and outages).
* `testgate serve` as its own process on 127.0.0.1, then Locust headless: USERS users (200),
  spawned 50 a second, each waiting 1-2 s between requests, for SECONDS (60) seconds; the pages
  and API calls people open: /, /api/flaky, /api/slow, /api/runs, the newest run's page and its
  results, a test's page, /components, /effectiveness.
* Figures: requests, errors (any non-2xx/304 or a timeout), median and p95 latency, the first
  request's latency (the analyses computed once), the server's peak RSS (VmHWM) and CPU time.
* With --big, issue 12's case instead: 2 runs of 200,000 tests each (writes
  benchmarks/results/dashboard-200k.md).
* With --before REF the same load runs against the dashboard of git REF (its src/ extracted to
  a temporary folder, same interpreter and packages): the "before" of issue 12 item 4.

Traffic goes to 127.0.0.1 only, bounded in users, time and count. Locust is not a testgate
dependency: `pip install locust` into the venv first (the script says so when it is missing).
Writes benchmarks/results/dashboard.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))
from _bytecode import compile_sources  # noqa: E402
from bench_history import make_run, make_truth  # noqa: E402

from testgate.history import open_store  # noqa: E402

LOCUSTFILE = """
import random
from locust import HttpUser, between, task

RUN = "{run}"
TESTS = {tests!r}


class Viewer(HttpUser):
    wait_time = between(1, 2)

    @task(4)
    def index(self):
        self.client.get("/", name="/")

    @task(2)
    def flaky(self):
        self.client.get("/api/flaky", name="/api/flaky")

    @task(2)
    def slow(self):
        self.client.get("/api/slow", name="/api/slow")

    @task(2)
    def runs(self):
        self.client.get("/api/runs", name="/api/runs")

    @task(1)
    def run_page(self):
        self.client.get("/runs/" + RUN, name="/runs/[id]")

    @task(1)
    def results(self):
        self.client.get("/api/runs/" + RUN + "/results?limit=1000", name="/api/runs/[id]/results")

    @task(2)
    def test_page(self):
        self.client.get("/tests", params={{"id": random.choice(TESTS)}}, name="/tests?id=")

    @task(1)
    def components(self):
        self.client.get("/components", name="/components")

    @task(1)
    def effectiveness(self):
        self.client.get("/effectiveness", name="/effectiveness")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_big(path: Path, runs: int, tests: int) -> float:
    """*runs* runs of *tests* tests each (issue 12's "one 200k-test run"): 0.1 % failing."""
    from testgate.model import Run, TestCase, VcsInfo

    t0 = time.perf_counter()
    with open_store(f"sqlite:///{path}") as store:
        for i in range(runs):
            cases = [
                TestCase(
                    "unit",
                    f"pkg.mod{k // 100}",
                    f"test_{k}",
                    "failed" if (k + i) % 997 == 0 else "passed",
                    0.001 * (k % 50),
                    message="AssertionError: x" if (k + i) % 997 == 0 else None,
                )
                for k in range(tests)
            ]
            run = Run(
                id=f"run-{i:05d}",
                project="bench",
                started_at=f"2026-01-0{i + 1}T10:00:00+00:00",
                vcs=VcsInfo(commit=f"{i:040x}", branch="main"),
                tests=cases,
            )
            run.finalize()
            store.record(run)
    return time.perf_counter() - t0


def build_history(path: Path, runs: int, tests: int) -> float:
    t0 = time.perf_counter()
    truth = make_truth(tests, runs)
    rng = random.Random(7)
    with open_store(f"sqlite:///{path}") as store:
        for i in range(runs):
            run = make_run(i, tests, rng, truth, runs)
            run.finalize()  # the metrics `testgate run` computes (pass rate, totals)
            store.record(run)
    return time.perf_counter() - t0


def proc_stats(pid: int) -> tuple[float, float]:
    """Peak RSS (MB) and CPU seconds (user + system) of a live process."""
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return hwm, (int(fields[11]) + int(fields[12])) / ticks


def serve(db: Path, pythonpath: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": pythonpath}
    env.pop("TESTGATE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "testgate", "serve", "--db", f"sqlite:///{db}", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/api/runs?limit=1", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("testgate serve did not start") from None
            time.sleep(0.2)
    return proc, url


def first_request(url: str) -> float:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url + "/", timeout=600) as r:
            r.read()
    except OSError as exc:
        print(f"first request failed: {exc}", file=sys.stderr)
        return float("nan")
    return time.perf_counter() - t0


def run_locust(url: str, users: int, seconds: int, run_id: str, tests: list[str]) -> dict[str, Any]:
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    with tempfile.TemporaryDirectory() as tmp:
        lf = Path(tmp) / "locustfile.py"
        lf.write_text(LOCUSTFILE.format(run=run_id, tests=tests))
        prefix = Path(tmp) / "stats"
        cmd = [
            str(locust),
            "-f",
            str(lf),
            "--headless",
            "-u",
            str(users),
            "-r",
            "50",
            "-t",
            f"{seconds}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
        ]
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120
        )
        with open(f"{prefix}_stats.csv") as fh:
            rows = list(csv.DictReader(fh))
        failures = []
        if Path(f"{prefix}_failures.csv").exists():
            with open(f"{prefix}_failures.csv") as fh:
                failures = list(csv.DictReader(fh))
    out: dict[str, Any] = {"rows": {}, "failures": failures}
    for r in rows:
        out["rows"][r["Name"]] = {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "p50": float(r["50%"] or 0),
            "p95": float(r["95%"] or 0),
            "max": float(r["Max Response Time"] or 0),
        }
    return out


def one(
    label: str, db: Path, pythonpath: str, args: argparse.Namespace, tests: list[str]
) -> dict[str, Any]:
    load_1min = load_average().split()[0]
    proc, url = serve(db, pythonpath)
    try:
        first = first_request(url)
        res = run_locust(url, args.users, args.seconds, f"run-{args.runs - 1:05d}", tests)
        rss, cpu = proc_stats(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    res.update(label=label, first_s=first, rss_mb=rss, cpu_s=cpu, load=load_1min)
    return res


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def write(
    results: list[dict[str, Any]], args: argparse.Namespace, build_s: float, load: str
) -> None:
    lines = [
        "## Dashboard under load (`benchmarks/bench_dashboard.py`)",
        "",
        f"`testgate serve` over a SQLite history of {args.runs} runs x {args.tests:,} tests "
        f"({args.runs * args.tests:,} results; "
        + (f"recorded in {build_s:.0f} s" if build_s else "recorded by an earlier run, --keep")
        + "), Locust headless "
        f"with {args.users} users (1-2 s between requests) for {args.seconds} s, 127.0.0.1 only; "
        f"{args.repeat} repetitions, the servers interleaved. Shared 2-core machine, the load "
        f"average (1 min) before each measurement in the table, {load} at the start: other "
        "sessions were working, and Locust itself runs on the same two cores, so latencies "
        "include waiting for the CPU; *CPU/request* (the server's CPU time over its requests) "
        "does not depend on that.",
        "",
        "Goal (issue 12 item 4): no error, p95 < 500 ms, server RSS < 500 MB.",
        "",
        "Errors: every answer other than 2xx, and timeouts; *of which 404* counts the pages a",
        "version does not have (the `before` dashboard has no /components or /effectiveness).",
        "",
        "| server | load | requests | errors | of which 404 | median | p95 | max | first `/` "
        "| peak RSS | CPU | CPU/request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        agg = r["rows"].get("Aggregated", {})
        missing = sum(
            int(f.get("Occurrences") or 0) for f in r["failures"] if "404" in f.get("Error", "")
        )
        lines.append(
            f"| {r['label']} | {r['load']} | {agg.get('requests', 0)} | {agg.get('failures', 0)} | "
            f"{missing} | {agg.get('p50', 0):.0f} ms | {agg.get('p95', 0):.0f} ms | "
            f"{agg.get('max', 0):.0f} ms | {r['first_s']:.2f} s | {r['rss_mb']:.0f} MB | "
            f"{r['cpu_s']:.1f} s | {1000 * r['cpu_s'] / max(1, agg.get('requests', 0)):.1f} ms |"
        )
    labels = sorted({r["server"] for r in results})
    for label in labels:
        mine = [r for r in results if r["server"] == label]
        p95 = statistics.median(r["rows"].get("Aggregated", {}).get("p95", 0) for r in mine)
        rss = max(r["rss_mb"] for r in mine)
        errs = sum(r["rows"].get("Aggregated", {}).get("failures", 0) for r in mine)
        lines.append(
            f"\n**{label}**: median p95 over the repetitions {p95:.0f} ms, highest peak RSS "
            f"{rss:.0f} MB, {errs} errors in all."
        )
    last = {r["server"]: r for r in results}
    for r in last.values():
        lines += [
            "",
            f"Per request ({r['label']}, the last repetition):",
            "",
            "| request | count | errors | median | p95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in r["rows"].items():
            if name != "Aggregated":
                lines.append(
                    f"| `{name}` | {row['requests']} | {row['failures']} | {row['p50']:.0f} ms | {row['p95']:.0f} ms |"
                )
        for f in r["failures"][:8]:
            lines.append(
                f"\nerror: `{f.get('Method')} {f.get('Name')}`: {f.get('Error', '')[:200]} ({f.get('Occurrences')}x)"
            )
    lines += [
        "",
        "Reproduce: `.venv/bin/pip install locust && .venv/bin/python benchmarks/bench_dashboard.py"
        + (f" --before {args.before}" if args.before else "")
        + f" --repeat {args.repeat}"
        + (" --big" if args.big else "")
        + "`.",
        "",
    ]
    name = "dashboard-200k.md" if args.big else "dashboard.md"
    if args.big:
        lines[0] = "## Dashboard under load, one 200k-test run (`bench_dashboard.py --big`)"
    (HERE / "results" / name).write_text("\n".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="50 runs x 2,000 tests, 20 users, 15 s")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--tests", type=int, default=10_000)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--before", help="also measure the dashboard of this git ref")
    ap.add_argument("--keep", type=Path, help="reuse (or keep) the history at this path")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions, servers interleaved")
    ap.add_argument(
        "--big",
        action="store_true",
        help="issue 12's case instead: 2 runs of 200,000 tests (results/dashboard-200k.md)",
    )
    args = ap.parse_args()
    compile_sources()
    if args.big:
        args.runs, args.tests = 2, 200_000
    if args.quick:
        args.runs, args.tests, args.users, args.seconds, args.repeat = 50, 2_000, 20, 15, 1
    if not (
        shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    ):
        print("locust is not installed: .venv/bin/pip install locust", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "history.db"
        build_s = 0.0
        if not db.exists():
            build = build_big if args.big else build_history
            build_s = build(db, args.runs, args.tests)
        rng = random.Random(3)
        tests = [f"pkg.mod{k // 100}::test_{k}" for k in rng.sample(range(args.tests), 50)]
        load = load_average()
        results = []
        servers = [("now", str(ROOT / "src"))]
        if args.before:
            src = Path(tmp) / "before"
            src.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before, "src"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
            servers.insert(0, (f"before ({args.before})", str(src / "src")))
        for k in range(args.repeat):
            for label, path in servers:
                res = one(f"{label} #{k + 1}", db, path, args, tests)
                res["server"] = label
                results.append(res)
    write(results, args, build_s, load)
    print((HERE / "results" / ("dashboard-200k.md" if args.big else "dashboard.md")).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
