"""HTML report benchmark, side by side in one run (issue 6).

From the same JUnit XML with 10k and 100k test cases (1 % failing, with traces):
- testgate: `testgate ingest` then `testgate report --format html` (one self-contained file);
- Allure 2 (`npm install allure-commandline`, Java): `allure generate` over the same JUnit file.
Measured: generation time, output size, and the time until the report is usable in Chromium
(testgate: the page's script has rendered the tables; Allure: its overview widgets are shown,
served over a local HTTP server because Allure's report cannot load from file://).

Usage: python benchmarks/bench_report.py [--quick]      Writes benchmarks/results/report.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
ALLURE = WORK / "allure" / "node_modules" / ".bin" / "allure"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def write_junit(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        per_suite = 1000
        for s in range(0, n, per_suite):
            fh.write(f'<testsuite name="suite{s // per_suite}" tests="{min(per_suite, n - s)}">\n')
            for i in range(s, min(n, s + per_suite)):
                name = quoteattr(f"test_case_{i}[param-{i % 7}]")
                cls = quoteattr(f"pkg.module{i % 50}.TestFeature{i % 9}")
                if i % 100 == 0:
                    trace = escape(
                        f"Traceback:\n  File 'mod{i}.py', line {i % 300}\nAssertionError"
                    )
                    fh.write(
                        f'<testcase classname={cls} name={name} time="0.{i % 97:03d}">'
                        f'<failure message="assert {i} == {i + 1}">{trace}</failure>'
                        f"</testcase>\n"
                    )
                else:
                    fh.write(f'<testcase classname={cls} name={name} time="0.{i % 97:03d}"/>\n')
            fh.write("</testsuite>\n")
        fh.write("</testsuites>\n")


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed: {cmd}\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - t0


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()


def usable_time(url: str, selector: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = b.new_page(viewport={"width": 1300, "height": 900})
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(selector, timeout=120_000)
        elapsed = time.perf_counter() - t0
        b.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="10k tests only")
    args = ap.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    have_allure = ALLURE.exists() and shutil.which("java") is not None
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "results").mkdir()
            write_junit(d / "results" / "junit.xml", n)
            tg = [sys.executable, "-m", "testgate"]
            t_ing = run([*tg, "ingest", "results/junit.xml", "-o", "summary.json"], d)
            t_rep = run([*tg, "report", "--summary", "summary.json", "-o", "report.html"], d)
            tg_time = t_ing + t_rep
            tg_size = size_of(d / "report.html")
            tg_usable = usable_time((d / "report.html").as_uri(), "body[data-ready='1']")
            row = {"n": n, "tg_time": tg_time, "tg_size": tg_size, "tg_usable": tg_usable}
            if have_allure:
                env_cmd = [str(ALLURE), "generate", "results", "-o", "allure-report", "--clean"]
                row["al_time"] = run(env_cmd, d)
                row["al_size"] = size_of(d / "allure-report")
                with serve(d / "allure-report") as url:
                    row["al_usable"] = usable_time(url, ".widget__title")
            rows.append(row)
            print(row, flush=True)
    out = [
        "## HTML report (issue 6)\n",
        "Same generated JUnit file (1 % failing with traces) into an HTML report. testgate's "
        "time is `ingest` + `report` (two processes, start-up included); Allure's is "
        "`allure generate`. *Usable* is the time from navigation until the report shows its "
        "data in headless Chromium.\n",
        "| tests | testgate (s) | Allure (s) | speed-up | testgate size | Allure size | "
        "testgate usable (s) | Allure usable (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "al_time" in r:
            out.append(
                f"| {r['n']:,} | {r['tg_time']:.2f} | {r['al_time']:.2f} | "
                f"{r['al_time'] / r['tg_time']:.1f}x | {r['tg_size'] / 1e6:.1f} MB | "
                f"{r['al_size'] / 1e6:.1f} MB | {r['tg_usable']:.2f} | "
                f"{r['al_usable']:.2f} |"
            )
        else:
            out.append(
                f"| {r['n']:,} | {r['tg_time']:.2f} | n/a | | {r['tg_size'] / 1e6:.1f} MB "
                f"| | {r['tg_usable']:.2f} | |"
            )
    if not have_allure:
        out.append(
            "\nAllure was not found: run `npm install allure-commandline` in "
            "benchmarks/.work/allure (Java is needed) and run again."
        )
    text = "\n".join(out) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "report.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
