"""Every command of the installed testgate, as a user meets it (issue 19): each command's
--help, `run` of the bundled example, `report --format html`, `serve` with every page and API
route answering 200 with rendered content, and the history migrations on a new SQLite file and
on PostgreSQL. Under `make test` all of it runs from the wheel (tests/packaging/test_installed.py
proves where `import testgate` comes from); the console script is the interpreter's own."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ._installed import REPO

BIN = Path(sys.executable).parent
TESTGATE = str(BIN / "testgate")
EXAMPLE = REPO / "examples" / "polyglot"
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}


def _tg(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESTGATE, *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _walk(
    group: click.Group, ctx: click.Context, path: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"testgate {' '.join((*path, name))} is listed but cannot load"
        yield (*path, name)
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, click.Context(cmd, parent=ctx, info_name=name), (*path, name))


def test_the_console_script_lists_every_command(tmp_path: Path) -> None:
    from testgate.cli import COMMANDS

    out = _tg("--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: testgate")
    listed = {line.split()[0] for line in out.stdout.split("Commands:")[1].splitlines() if line}
    assert listed == set(COMMANDS)


def test_every_command_and_subcommand_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    from testgate.cli import cli, main

    paths = list(_walk(cli, click.Context(cli, info_name="testgate"), ()))
    assert ("history", "record") in paths
    assert ("scan", "secrets") in paths
    for path in paths:
        code = main([*path, "--help"])
        out = capsys.readouterr().out
        assert code == 0, path
        assert out.startswith(f"Usage: testgate {' '.join(path)}"), out[:200]
        assert "-h, --help" in out


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example (what `make demo` runs), run once in a copy of it."""
    if shutil.which("node", path=ENV["PATH"]) is None:
        pytest.skip("the example's JavaScript package needs Node.js")
    root = tmp_path_factory.mktemp("polyglot")
    shutil.copytree(
        EXAMPLE,
        root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".testgate", "reports", "__pycache__"),
    )
    out = _tg("run", "--html", "reports/report.html", cwd=root, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert out.stdout.rstrip().splitlines()[-1].startswith("testgate: PASSED")
    return root


def _summary(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".testgate/latest/summary.json").read_text())
    return data


@pytest.mark.slow
def test_run_of_the_bundled_example(example: Path) -> None:
    m = _summary(example)["metrics"]
    assert isinstance(m, dict)
    # 6 pytest unit (1 skipped) + 3 integration + 2 slow; 6 node tests (1 todo = skipped)
    assert (m["tests.total"], m["tests.passed"], m["tests.skipped"]) == (17, 15, 2)
    html = (example / "reports/report.html").read_text()
    assert "polyglot-example" in html


@pytest.mark.slow
def test_report_format_html(example: Path) -> None:
    out = _tg("report", "--format", "html", "-o", "again.html", cwd=example)
    assert out.returncode == 0, out.stderr
    html = (example / "again.html").read_text()
    run = _summary(example)["run"]
    assert isinstance(run, dict)
    assert run["id"] in html
    assert "polyglot-example" in html
    assert "python-unit" in html


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, resp.headers.get_content_type(), resp.read().decode()


@pytest.fixture(scope="module")
def served(example: Path) -> Iterator[str]:
    """`testgate serve` of the installed package over the example's recorded run."""
    port = _free_port()
    proc = subprocess.Popen(
        [TESTGATE, "serve", "--port", str(port), "--db", ".testgate/history.db"],
        cwd=example,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{url}/api/runs")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
                    raise AssertionError(f"testgate serve did not start: {why}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.slow
def test_serve_answers_every_page_and_api_route_with_content(example: Path, served: str) -> None:
    from testgate.history import open_store
    from testgate.server.app import create_app

    run = _summary(example)["run"]
    assert isinstance(run, dict)
    run_id = str(run["id"])
    status, _, body = _get(f"{served}/api/runs/{run_id}/results")
    results = json.loads(body)
    assert status == 200
    assert len(results) == 17
    test_id = urllib.parse.quote(results[0]["test"])
    checks: dict[str, tuple[str, str, list[str]]] = {
        # route -> (URL, content type, what the rendered body shows)
        "/": ("/", "text/html", [run_id, "Pass rate", "</html>"]),
        "/runs/{run_id}": (f"/runs/{run_id}", "text/html", [run_id, "python-unit", "js-unit"]),
        "/tests": (f"/tests?id={test_id}", "text/html", [results[0]["test"], "Duration"]),
        "/api/docs": ("/api/docs", "text/html", ["/api/runs/{run_id}/results", "</html>"]),
        "/api/runs": ("/api/runs", "application/json", [run_id]),
        "/api/runs/{run_id}": (f"/api/runs/{run_id}", "application/json", ["python-unit"]),
        "/api/runs/{run_id}/results": (
            f"/api/runs/{run_id}/results",
            "application/json",
            [results[0]["test"].replace("\\", "\\\\")],
        ),
        "/api/tests/history": (f"/api/tests/history?id={test_id}", "application/json", [run_id]),
        "/api/metrics/{name}": ("/api/metrics/tests.total", "application/json", ['"value":17']),
        "/api/flaky": ("/api/flaky", "application/json", ['"flaky":']),
        "/api/slow": ("/api/slow", "application/json", ['"slow":']),
        "/api/openapi.json": ("/api/openapi.json", "application/json", ['"/api/flaky"']),
        "/metrics": (
            "/metrics",
            "text/plain",
            ["test_execution_duration_seconds", "test_coverage_percent"],
        ),
        "/health": ("/health", "application/json", ['"status":"ok"', '"runs":1']),
        "/static/{name}": ("/static/uplot.min.js", "text/javascript", ["uPlot"]),
        "/api/branches": ("/api/branches", "application/json", ['"branches":']),
        "/api/tests": (f"/api/tests?id={test_id}", "application/json", [run_id]),
        "/api/components": ("/api/components", "application/json", ['"components":']),
        "/api/alerts": ("/api/alerts", "application/json", ['"alerts":']),
        "/api/effectiveness": ("/api/effectiveness", "application/json", ['"escape_rate"']),
        "/flaky": ("/flaky", "text/html", ["Flaky and broken tests", "</html>"]),
        "/components": ("/components", "text/html", ["Failure rate by component", "</html>"]),
        "/alerts": ("/alerts", "text/html", ["Alerts", "</html>"]),
        "/effectiveness": ("/effectiveness", "text/html", ["Incidents", "</html>"]),
    }
    # every route of the app is checked: a new page or route must be added here (the one write,
    # POST /api/incidents, needs a token: tests/server/test_dashboard_api.py drives it)
    app = create_app(open_store(f"sqlite:///{example / '.testgate/history.db'}"))
    routes = {
        getattr(r, "path", None) for r in app.routes if "GET" in (getattr(r, "methods", None) or ())
    } - {None}
    assert routes == set(checks)
    for route, (path, ctype, shows) in checks.items():
        status, got_type, body = _get(served + path)
        assert (status, got_type) == (200, ctype), route
        for text in shows:
            assert text in body.replace(" ", "") or text in body, f"{route}: no {text!r}"


def test_history_migrations_on_a_new_sqlite_file(tmp_path: Path) -> None:
    _record_and_list(tmp_path, str(tmp_path / "new" / "history.db"))


@pytest.mark.postgres
def test_history_migrations_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    from tests.history.conftest import _pg_schema_url

    for url in _pg_schema_url(postgres_url):
        _record_and_list(tmp_path, url)


def _record_and_list(tmp_path: Path, db: str) -> None:
    """A new store is created at the head revision by the first command that writes to it."""
    report = REPO / "tests" / "fixtures" / "junit" / "ant__error-at-suite-level.xml"
    out = _tg("ingest", str(report), "-o", "summary.json", "--project", "smoke", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = _tg("history", "record", "--db", db, "summary.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = _tg("history", "list", "--db", db, "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    run_id = json.loads((tmp_path / "summary.json").read_text())["run"]["id"]
    assert [r["id"] for r in json.loads(out.stdout)["runs"]] == [run_id]
