"""The commands end to end: history record/list/show/trend, flaky, slow, insights."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from testgate.model import write_summary
from testgate.testing import Project

from ._runs import BROKEN, BROKEN_AT, FLAKY, HEALTHY, Suite, case, commit_of, make_run, tid

CONFIG = """
project: demo
gates:
  coverage_gate:
    criteria:
      critical_paths:
        threshold: ">= 95%"
        paths: ["src/auth/**"]
alerts:
  - name: coverage_drop
    condition: "coverage < previous - 5%"
    severity: high
  - name: too_many_failures
    condition: "tests.failed > 3"
    severity: medium
notify:
  webhooks:
    - url: {url}
      min_severity: high
      backoff: 0.05
"""


@contextlib.contextmanager
def _serve() -> Iterator[dict[str, Any]]:
    """A real local webhook receiver that answers 200 and keeps the bodies."""
    got: dict[str, Any] = {"bodies": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got["bodies"].append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got["url"] = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook() -> Iterator[dict[str, Any]]:
    with _serve() as got:
        yield got


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Thirty runs recorded through the CLI once for the module (the tests only read)."""
    project = Project(tmp_path_factory.mktemp("recorded") / "repo")
    with _serve() as got:
        project.write("testgate.yaml", CONFIG.format(url=got["url"]))
        for run in Suite(slow_from=22).build():
            write_summary(run, project.root / "runs" / f"{run.id}.json")
            project.run("history", "record", f"runs/{run.id}.json").assert_success()
        yield project


def test_record_prints_alerts_and_sends_webhooks(project: Project, hook: dict[str, Any]) -> None:
    project.write("testgate.yaml", CONFIG.format(url=hook["url"]))
    first, second = Suite(runs=2).build()
    second.coverage.files["src/app/core.py"].lines = dict.fromkeys(range(1, 101), 0)
    second.finalize()
    for run in (first, second):
        write_summary(run, project.root / f"{run.id}.json")
    out = project.run("history", "record", "run-main-000.json").assert_success()
    out.fnmatch_lines(["recorded run run-main-000 (40 tests) in sqlite:///*/.testgate/history.db"])
    # nothing fired; the alert that had nothing to compare with says so on the same kind of line
    assert not [x for x in out.out.splitlines() if x.startswith("alert [") and "holds" in x]
    assert "alert [high] coverage_drop: coverage < previous - 5% (not evaluated: " in out.out
    out = project.run("history", "record", "run-main-001.json").assert_success()
    out.fnmatch_lines(
        ["alert [[]high[]] coverage_drop: coverage < previous - 5%: *; 17.5 < 52.5 holds"]
    )
    assert len(hook["bodies"]) == 1
    assert hook["bodies"][0]["attachments"][0]["title"] == "coverage_drop (high)"


def test_webhooks_link_to_the_run_and_the_alert_is_kept(
    project: Project, hook: dict[str, Any]
) -> None:
    """Issue 17.8: the same alert line everywhere, webhook links to the dashboard's pages, and
    the fired alert kept with the run (the dashboard's /alerts)."""
    project.write(
        "testgate.yaml",
        CONFIG.format(url=hook["url"]) + "  dashboard_url: https://tg.example.com/\n",
    )
    first, second = Suite(runs=2).build()
    second.coverage.files["src/app/core.py"].lines = dict.fromkeys(range(1, 101), 0)
    second.finalize()
    for run in (first, second):
        write_summary(run, project.root / f"{run.id}.json")
        out = project.run("history", "record", f"{run.id}.json").assert_success()
    line = next(x for x in out.out.splitlines() if x.startswith("alert [") and "holds" in x)
    body = hook["bodies"][0]
    assert line in body["text"].splitlines()
    assert body["links"] == {
        "dashboard": "https://tg.example.com/?branch=main",
        "run": "https://tg.example.com/runs/run-main-001",
        "alerts": "https://tg.example.com/alerts?branch=main",
    }
    assert body["attachments"][0]["title_link"] == body["links"]["run"]
    from testgate.history.store import open_store

    with open_store(f"sqlite:///{project.root / '.testgate' / 'history.db'}") as store:
        info = store.get_run("run-main-001")
        assert info is not None
        (kept,) = info.meta["alerts"]
    assert kept["name"] == "coverage_drop"
    assert line == f"alert [high] coverage_drop: {kept['message']}"
    assert kept["delivered"] == 1
    assert "url" not in str(kept)
    again = project.run("history", "record", "run-main-001.json", "--json").assert_success()
    assert json.loads(again.out)["recorded"] is False
    assert len(hook["bodies"]) == 1  # recording twice fires nothing twice


def test_list_show_and_trend_as_json(recorded: Project) -> None:
    runs = json.loads(
        recorded.run("history", "list", "--json", "--limit", "3").assert_success().out
    )
    assert [r["id"] for r in runs["runs"]] == ["run-main-029", "run-main-028", "run-main-027"]
    assert runs["runs"][0]["metrics"]["tests.total"] == 40
    shown = json.loads(
        recorded.run("history", "show", "run-main-025", "--json").assert_success().out
    )
    assert shown["commit"] == commit_of(25)
    assert tid(BROKEN) in [t["test"] for t in shown["tests"]]
    assert all(t["status"] != "passed" or t["flaky"] for t in shown["tests"])
    trend = json.loads(
        recorded.run("history", "trend", "tests.failed", "--json", "-n", "5").assert_success().out
    )
    assert [p["run"] for p in trend["series"]] == [f"run-main-{i:03d}" for i in range(25, 30)]
    flaky_rate = json.loads(
        recorded.run("history", "trend", "flaky_rate", "--json").assert_success().out
    )
    assert all(p["value"] == 0 for p in flaky_rate["series"])


def test_list_and_show_as_tables(recorded: Project) -> None:
    out = recorded.run("history", "list", "-n", "2").assert_success()
    out.fnmatch_lines(
        ["run*started (UTC)*branch*commit*status*", "run-main-029*2026-03-01 10:00:29*main*failed*"]
    )
    out = recorded.run("history", "show", "latest").assert_success()
    out.fnmatch_lines(
        [
            "run run-main-029  (failed)",
            "*branch*main",
            "metrics",
            "*tests.total*40*",
            "failed and flaky tests",
            f"*{tid(BROKEN)}*failed*AssertionError: boom*",
        ]
    )
    trend = recorded.run("history", "trend", "coverage").assert_success()
    trend.fnmatch_lines(["coverage: * over 30 runs *"])


def test_show_of_an_unknown_run_is_a_clear_error(recorded: Project) -> None:
    out = recorded.run("history", "show", "nope").assert_code(2)
    assert "no run 'nope' in sqlite:///" in out.err
    assert "Traceback" not in out.err


def test_flaky_json_and_suggest(recorded: Project) -> None:
    doc = json.loads(recorded.run("flaky", "--json").assert_success().out)
    assert sorted(f["test"] for f in doc["flaky"]) == sorted(tid(n) for n in FLAKY)
    assert [(b["test"], b["since_commit"]) for b in doc["broken"]] == [
        (tid(BROKEN), commit_of(BROKEN_AT))
    ]
    text = recorded.run("flaky").assert_success()
    text.fnmatch_lines(
        [
            "30 runs analysed on main (the only branch recorded)",
            "flaky (3)",
            "*test_flaky_*",
            "broken (1)",
            f"*{tid(BROKEN)}*{commit_of(BROKEN_AT)[:12]}*run-main-019*11*",
        ]
    )
    sug = recorded.run("flaky", "--suggest").assert_success()
    sug.fnmatch_lines(
        [
            "quarantine:",
            '  - test: "tests.test_app::test_flaky_*',
            "    owner: TODO",
            "    expires: *",
            "pytest --deselect *",
        ]
    )


def test_slow_finds_the_test_that_got_slower(recorded: Project) -> None:
    doc = json.loads(recorded.run("slow", "--json", "--top", "3").assert_success().out)
    assert doc["rising"][0]["test"] == tid("test_ok_01")
    assert doc["rising"][0]["ratio"] > 1.5
    assert [t["test"] for t in doc["top"]][:1] == [tid("test_ok_01")] or len(doc["top"]) == 3
    assert all(t["p95_s"] >= t["p50_s"] for t in doc["top"])
    text = recorded.run("slow", "--factor", "2").assert_success()
    text.fnmatch_lines(
        [
            "30 runs, 40 tests analysed*",
            "top 10 by total time",
            "slowing by more than 2x",
            "*test_ok_01*",
        ]
    )


def test_insights_give_a_plan_with_evidence(recorded: Project) -> None:
    doc = json.loads(recorded.run("insights", "--json").assert_success().out)
    kinds = [i["type"] for i in doc["improvements"]]
    assert kinds == ["performance", "reliability", "coverage"]
    perf, rel, cov = doc["improvements"]
    assert perf["recommendation"] == "optimize or parallelize"
    assert perf["tests"][0]["test"] == tid("test_ok_01")
    assert perf["tests"][0]["problem"] == "slowing"
    assert rel["tests"][0]["problem"] == "broken"
    assert rel["tests"][0]["evidence"]["since_commit"] == commit_of(BROKEN_AT)
    assert {t["test"] for t in rel["tests"] if t["problem"] == "flaky"} == {tid(n) for n in FLAKY}
    # the critical path comes first even though another file is covered less
    assert [a["path"] for a in cov["areas"]] == [
        "src/auth/login.py",
        "src/util/strings.py",
        "src/app/core.py",
    ]
    assert cov["areas"][0]["critical_paths"] == ["src/auth/**"]
    text = recorded.run("insights").assert_success()
    text.fnmatch_lines(
        [
            "Improvement plan: 30 runs analysed on main, latest run run-main-029",
            "1. Performance: optimize or parallelize",
            f"   - {tid('test_ok_01')}",
            "     got *x slower*",
            "2. Reliability: fix or quarantine",
            f"     failing in every run since commit {commit_of(BROKEN_AT)} (11 runs)*",
            "3. Coverage: add tests",
            "   - src/auth/login.py",
            "     50.0% of 60 lines covered on the critical path src/auth/**: add tests for the"
            " 30 missed lines",
        ]
    )


def test_db_option_and_env_choose_the_store(
    project: Project, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Suite(runs=1).build()[0]
    write_summary(run, project.root / "s.json")
    project.run("history", "record", "s.json", "--db", str(tmp_path / "a.db")).assert_success()
    monkeypatch.setenv("TESTGATE_DB", f"sqlite:///{tmp_path / 'b.db'}")
    assert json.loads(project.run("history", "list", "--json").out)["runs"] == []
    listed = json.loads(
        project.run("history", "list", "--json", "--db", str(tmp_path / "a.db")).out
    )
    assert [r["id"] for r in listed["runs"]] == [run.id]


def test_history_on_postgresql_via_the_cli(project: Project, pg_url: str) -> None:
    for run in Suite().build():
        write_summary(run, project.root / f"{run.id}.json")
        project.run("history", "record", f"{run.id}.json", "--db", pg_url).assert_success()
    doc = json.loads(project.run("flaky", "--json", "--db", pg_url).assert_success().out)
    assert sorted(f["test"] for f in doc["flaky"]) == sorted(tid(n) for n in FLAKY)
    assert doc["broken"][0]["since_commit"] == commit_of(BROKEN_AT)


def test_insights_do_not_say_revert_for_a_test_that_never_passed(project: Project) -> None:
    """A test failing since it was first recorded was broken by no change: the plan says so
    instead of asking to revert one."""
    for i in range(12):
        tests = [case(n) for n in HEALTHY[:5]] + [case("test_never_worked", "failed")]
        run = make_run(i, tests)
        write_summary(run, project.root / "runs" / f"{run.id}.json")
        project.run("history", "record", "--db", "h.db", f"runs/{run.id}.json").assert_success()
    doc = json.loads(project.run("insights", "--db", "h.db", "--json").assert_success().out)
    (rel,) = [i for i in doc["improvements"] if i["type"] == "reliability"]
    (broken,) = rel["tests"]
    assert broken["test"] == tid("test_never_worked")
    assert broken["evidence"]["passed_before"] is False
    text = broken["recommendation"]
    assert "never passed" in text
    assert f"commit {commit_of(0)}" in text
    assert "revert" not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "list"],
        ["flaky"],
        ["slow"],
        ["insights"],
        ["history", "show", "latest"],
        ["history", "record", "s.json"],
    ],
)
def test_a_file_that_is_not_a_database_is_one_clear_error(
    project: Project, argv: list[str]
) -> None:
    """A store path that points at something else (a log, a summary) is exit 2 naming the
    file, never a traceback, and the file is left as it was."""
    project.write("h.db", "these are not the bytes of a SQLite database\n" * 50)
    write_summary(make_run(0, [case("test_ok")]), project.root / "s.json")
    before = (project.root / "h.db").read_bytes()
    out = project.run(*argv, "--db", "h.db")
    assert out.code == 2, out.err
    assert "h.db: cannot use the history store: file is not a database" in out.err
    assert "Traceback" not in out.err
    assert (project.root / "h.db").read_bytes() == before
