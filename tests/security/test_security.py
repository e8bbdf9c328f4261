"""``testgate scan secrets``, ``scan licenses`` and ``probe``: against a repository with a
planted key, this very environment's distributions, and a small vulnerable app started here on
127.0.0.1."""

from __future__ import annotations

import html
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from testgate.model import read_summary
from testgate.security.licenses import scan_licenses
from testgate.testing import Project

# a planted AWS-style key (AWS's documented example, not a real one)
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def test_scan_secrets_finds_a_planted_key_and_never_prints_it(project: Project) -> None:
    project.write("app/settings.py", f'DEBUG = True\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    project.write("app/clean.py", "def f() -> int:\n    return 1\n")
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    out = project.run("scan", "secrets", "-o", "secrets.json")
    out.assert_code(1)
    assert "AWS Access Key" in out.out
    assert "app/settings.py:2" in out.out
    assert AWS_KEY not in out.out
    run = read_summary(project.root / "secrets.json")
    assert run.metrics["secrets.count"] >= 1
    assert {(f.category, f.path) for f in run.findings} == {("secret", "app/settings.py")}
    assert AWS_KEY not in (project.root / "secrets.json").read_text()


def test_scan_secrets_clean_repo_passes(project: Project) -> None:
    project.write("a.py", "x = 1\n")
    out = project.run("scan", "secrets", "-o", "s.json")
    out.assert_success()
    assert read_summary(project.root / "s.json").metrics["secrets.count"] == 0


def test_scan_licenses_of_this_environment(project: Project) -> None:
    findings, checked = scan_licenses()
    assert checked > 50
    by_pkg = {f.package: f for f in findings}
    assert "click" not in by_pkg  # BSD-3-Clause is allowed
    # nothing allowed: every checked distribution is a finding (fail closed on unknown ones)
    strict, n = scan_licenses(allow=["Nothing-1.0"])
    assert len(strict) == n
    out = project.run("scan", "licenses", "--allow", "MIT", "-o", "lic.json")
    out.assert_code(1)
    run = read_summary(project.root / "lic.json")
    assert run.metrics["licenses.violations"] >= 1
    assert any(f.package == "click" and f.rule == "license-not-allowed" for f in run.findings)


class VulnerableApp(BaseHTTPRequestHandler):
    """/search builds SQL by concatenation; /greet reflects input; /safe does both right."""

    db: sqlite3.Connection

    def _param(self) -> tuple[str, str]:
        parts = urlsplit(self.path)
        if self.command == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.loads(body or b"{}")
            return parts.path, str(data.get("q", ""))
        return parts.path, (parse_qs(parts.query).get("q") or [""])[0]

    def _answer(self) -> None:
        path, q = self._param()
        status, text = 200, ""
        if path == "/search":
            try:
                rows = self.db.execute(f"SELECT name FROM items WHERE name = '{q}'").fetchall()
                text = json.dumps(rows)
            except sqlite3.Error as exc:
                status, text = 500, f"sqlite3.OperationalError: {exc}"
        elif path == "/greet":
            text = f"<p>Hello {q}</p>"
        elif path == "/safe":
            rows = self.db.execute("SELECT name FROM items WHERE name = ?", (q,)).fetchall()
            text = f"<p>{html.escape(q)}: {len(rows)}</p>"
        else:
            status = 404
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def app_url() -> Iterator[str]:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE items (name TEXT)")
    db.execute("INSERT INTO items VALUES ('apple')")
    VulnerableApp.db = db
    server = ThreadingHTTPServer(("127.0.0.1", 0), VulnerableApp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        db.close()


def test_probe_finds_sql_injection_and_reflected_xss(project: Project, app_url: str) -> None:
    out = project.run("probe", f"{app_url}/search?q=apple", "-o", "p1.json")
    out.assert_code(1)
    run = read_summary(project.root / "p1.json")
    rules = {(f.rule, f.severity) for f in run.findings}
    assert ("sql-injection", "high") in rules
    assert run.metrics["security.high"] >= 1

    xss = project.run("probe", f"{app_url}/greet?q=bob", "-o", "p2.json")
    xss.assert_code(1)
    assert "xss-reflected" in xss.out

    safe = project.run("probe", f"{app_url}/safe?q=x", "-o", "p3.json")
    safe.assert_success()
    assert "0 findings" in safe.out


def test_probe_is_bounded_and_refuses_other_hosts(project: Project, app_url: str) -> None:
    out = project.run("probe", f"{app_url}/safe", "--max-requests", "5", "-o", "p.json")
    out.assert_success()
    assert "5 requests" in out.out
    refused = project.run("probe", "http://example.com/search?q=1")
    refused.assert_code(2)
    assert "refusing to probe example.com" in refused.err


def test_commands_have_help(project: Project) -> None:
    for args in (
        ["scan", "secrets", "--help"],
        ["scan", "licenses", "--help"],
        ["probe", "--help"],
        ["triage", "--help"],
        ["generate", "--help"],
    ):
        out = project.run(*args)
        out.assert_success()
        assert "Usage:" in out.out
    assert sys.executable
