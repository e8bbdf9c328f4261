"""Dashboard v2's JSON API, /health, HEAD and ETags, over SQLite and PostgreSQL, against a real
uvicorn server with a real HTTP client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from testgate.history.store import open_store
from testgate.model import ReportData, ReportRef, Run, TestCase
from testgate.server.app import create_app

from ._history import branched_history
from ._live import live_server


def test_api_pages_health_head_and_etag(store_url: str, tmp_path: Path) -> None:
    store = branched_history(tmp_path, url=store_url)
    with live_server(create_app(store)) as url, httpx.Client(base_url=url, timeout=30) as c:
        health = c.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["runs"] == 11
        # branches: the default first
        assert c.get("/api/branches").json() == {
            "default": "main",
            "branches": [{"branch": "main", "runs": 8}, {"branch": "feature/x", "runs": 3}],
        }
        # runs: the default branch unless asked; every branch with branch=
        assert len(c.get("/api/runs").json()) == 8
        assert len(c.get("/api/runs", params={"branch": ""}).json()) == 11
        feat = c.get("/api/runs", params={"branch": "feature/x"}).json()
        assert [r["id"] for r in feat] == ["feat-2", "feat-1", "feat-0"]
        marked = {r["id"]: [m["kind"] for m in r["marks"]] for r in c.get("/api/runs").json()}
        assert marked["run-03"] == ["outage"]
        assert marked["run-05"] == ["incident"]
        # one run: the report's data, its totals the run's own
        run = c.get("/api/runs/run-07").json()
        assert run["report"]["run"]["id"] == "run-07"
        assert len(run["report"]["tests"]["rows"]) == run["tests_total"] == 12
        # results, a page at a time, with the total in a header
        page = c.get("/api/runs/run-07/results", params={"limit": 5, "offset": 10})
        assert page.headers["x-total-count"] == "12"
        assert len(page.json()) == 2
        # a test: strip, flips (test_wobbly fails every third run)
        t = c.get("/api/tests", params={"id": "tests.test_cart::test_wobbly", "n": 8}).json()
        assert [r["status"] for r in t["results"]][:4] == ["failed", "passed", "passed", "failed"]
        assert len(t["flips"]) >= 3
        assert c.get("/api/tests", params={"id": "nope"}).status_code == 404
        # components: the feature branch's ui suite fails every time
        comps = c.get("/api/components", params={"branch": "feature/x"}).json()["components"]
        ui = next(x for x in comps if x["component"] == "ui")
        assert (ui["failed"], ui["tests_run"], ui["failure_rate"]) == (3, 3, 100.0)
        # flaky, paged
        flaky = c.get("/api/flaky", params={"limit": 1}).json()
        assert flaky["limit"] == 1
        assert len(flaky["flaky"]) <= 1
        assert flaky["total"] >= 1
        # effectiveness: one incident against run-05's commit; run-00/-06/-07 stopped a change
        # (run-03 failed too, but it is an outage)
        fx = c.get("/api/effectiveness").json()
        assert [i["id"] for i in fx["incidents"]] == ["BUG-1"]
        assert fx["caught"] == 3
        assert fx["escape_rate"] == 0.25
        assert fx["mttd_hours"] == 24.0
        # HEAD: the headers of GET, no body
        head = c.head("/api/runs")
        assert head.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) == len(c.get("/api/runs").content)
        # ETag: a repeated request is answered 304 until the store changes
        first = c.get("/")
        etag = first.headers["etag"]
        assert c.get("/", headers={"If-None-Match": etag}).status_code == 304
        store.mark_run("run-07", "outage", {"reason": "dns"})
        again = c.get("/", headers={"If-None-Match": etag})
        assert again.status_code == 200
        assert again.headers["etag"] != etag
        # the static files come from the package, never a CDN
        js = c.get("/static/uplot.min.js")
        assert js.status_code == 200
        assert "uPlot" in js.text
        assert c.get("/static/../app.py").status_code == 404


def test_recording_an_incident_needs_the_token_as_a_header(tmp_path: Path) -> None:
    store = branched_history(tmp_path)
    with live_server(create_app(store)) as url, httpx.Client(base_url=url) as c:
        r = c.post("/api/incidents", json={"commit": f"{2:040x}", "id": "BUG-2"})
        assert r.status_code == 403
        assert "TESTGATE_TOKEN" in r.json()["detail"]
    with live_server(create_app(store, token="s3cret")) as url, httpx.Client(base_url=url) as c:
        # the cookie alone (what a form on another site would send) is not enough for a write
        c.cookies.set("testgate_token", "s3cret")
        assert c.post("/api/incidents", json={"commit": f"{2:040x}", "id": "B"}).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        bad = c.post("/api/incidents", json={"commit": "xyz", "id": "BUG-2"}, headers=auth)
        assert bad.status_code == 422
        assert "--commit 'xyz'" in bad.json()["detail"]
        none = c.post("/api/incidents", json={"commit": "f" * 40, "id": "BUG-2"}, headers=auth)
        assert none.status_code == 404
        assert "no recorded run of commit" in none.json()["detail"]
        ok = c.post(
            "/api/incidents",
            json={"commit": f"{2:040x}", "id": "BUG-2", "component": "cart"},
            headers=auth,
        )
        assert ok.status_code == 201
        assert ok.json()["incident"]["run"] == "run-02"
        fx = c.get("/api/effectiveness", headers=auth).json()
        assert sorted(i["id"] for i in fx["incidents"]) == ["BUG-1", "BUG-2"]


def test_many_concurrent_requests_on_a_big_run_all_succeed(tmp_path: Path) -> None:
    """Issue 12.4's regression: a run with many tests, many requests at once, a store with
    fewer connections (2) than the server has threads: every answer is 200, none a pool
    timeout (500); before, 40 threads queued for 2 connections and gave up after 30 s."""
    store = open_store(f"sqlite:///{tmp_path / 'history.db'}", pool_size=2)
    for i in range(3):
        run = Run(id=f"big-{i}", started_at=f"2026-02-0{i + 1}T10:00:00+00:00")
        run.vcs.branch = "main"
        tests = [
            TestCase(f"s{k % 7}", f"pkg.m{k // 500}", f"test_{k}", duration_s=0.001 * (k % 50))
            for k in range(20_000)
        ]
        tests[i].status = "failed"
        run.absorb(ReportData(tests=tests), ReportRef("j.xml", "junit", "tests", step="u/p"))
        run.finalize()
        store.record(run)
    paths = [
        "/",
        "/api/flaky",
        "/api/slow",
        "/runs/big-2",
        "/api/runs/big-2/results",
        "/components",
    ]
    with (
        live_server(create_app(store)) as url,
        httpx.Client(base_url=url, timeout=300, limits=httpx.Limits(max_connections=80)) as c,
        ThreadPoolExecutor(80) as pool,
    ):
        codes = list(pool.map(lambda i: c.get(paths[i % len(paths)]).status_code, range(240)))
    assert codes == [200] * 240


def test_mutation_score_over_time_from_real_reports(tmp_path: Path) -> None:
    """Two runs ingested by the real CLI from real mutation reports (mutmut 3 stats, then
    Stryker.NET): the dashboard charts each run's mutation.score as the adapter computed it."""
    import json
    import shutil
    import subprocess
    import sys

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "mutation"
    db = f"sqlite:///{tmp_path / 'history.db'}"
    scores = []
    for i, name in enumerate(("mutmut3__cicd-stats.json", "stryker-net__report.json")):
        shutil.copy(fixtures / name, tmp_path / name)
        summary = tmp_path / f"s{i}.json"
        subprocess.run(
            [sys.executable, "-m", "testgate", "ingest", name, "-o", str(summary),
             "--commit", f"{i + 1:040x}", "--branch", "main"],
            cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip
        scores.append(json.loads(summary.read_text())["metrics"]["mutation.score"])
        subprocess.run(
            [sys.executable, "-m", "testgate", "history", "record", str(summary), "--db", db],
            cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip
    store = open_store(db)
    with live_server(create_app(store)) as url, httpx.Client(base_url=url) as c:
        fx = c.get("/api/effectiveness").json()
        page = c.get("/effectiveness").text
    assert [p["value"] for p in fx["mutation_score"]] == scores
    assert 'data-chart="mutation.score"' in page
