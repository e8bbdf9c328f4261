"""Secrets a step prints or puts in its reports never reach anything testgate writes (issue 12.5).

One real ``testgate run`` of a step that prints every kind of secret to stdout and stderr (one
of them in two writes, flushed apart) and writes a JUnit report whose failure holds them; then
the console, the step log, summary.json, the history database, the HTML, Markdown, GitHub
annotations and merged JUnit reports and two real webhooks (an alert, the triage escalation)
are searched for the raw values.

The secrets are made up at test time, so no token-shaped text lives in this repository.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import string
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from testgate.testing import Project

_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


STEP = r"""
import base64, os, sys, time
from xml.sax.saxutils import quoteattr, escape

gh = os.environ["GITHUB_TOKEN"]
aws = os.environ["AWS_SECRET_ACCESS_KEY"]
hook = os.environ["DEPLOY_HOOK"]           # named under secrets: env
with open("shapes.txt") as fh:             # literal tokens of well-known shapes
    shapes = fh.read().split("\n")
corp = shapes[-1]                          # matches secrets: patterns
basic = base64.b64encode(("x-access-token:" + gh).encode()).decode()
text = " ".join([
    "gh=" + gh, "aws=" + aws, "hook=" + hook, "corp=" + corp, "basic=" + basic,
    *("shape=" + s for s in shapes[:-1] if "\n" not in s),
])
key = os.environ["PEM"]
print("stdout " + text)
print("stderr " + text, file=sys.stderr)
print(key)
# one secret in two writes, flushed and apart in time
sys.stdout.write("split=" + gh[:12]); sys.stdout.flush(); time.sleep(0.3)
sys.stdout.write(gh[12:] + " end\n"); sys.stdout.flush()
sys.stderr.write("split=" + aws[:9]); sys.stderr.flush(); time.sleep(0.3)
sys.stderr.write(aws[9:] + " end\n"); sys.stderr.flush()
with open("junit.xml", "w") as fh:
    fh.write(
        '<testsuite name="s"><testcase classname="c" name="ok"/>'
        '<testcase classname="c" name="leaks">'
        '<properties><property name="auth" value=' + quoteattr("Bearer " + gh) + '/></properties>'
        '<failure message=' + quoteattr("login failed for " + text) + '>'
        + escape("Traceback: " + text + "\n" + key) + '</failure></testcase></testsuite>'
    )
sys.exit(1)
"""

PEM_BODY = "\n".join(_rand(64) for _ in range(3))


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[bytes]]]:
    """A real local HTTP server that keeps every body it receives."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def _files_under(root: Path) -> Iterator[Path]:
    for p in root.rglob("*"):
        if p.is_file() and p.suffix != ".db":
            yield p


def _dump(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def test_no_secret_a_step_prints_or_reports_reaches_any_output(
    project: Project, webhook: tuple[str, list[bytes]]
) -> None:
    url, received = webhook
    gh_env = "ghs_" + _rand(36)  # the token an Actions job gets
    aws = _rand(40, _ALNUM + "+/")
    hook = "hk-" + _rand(20)
    corp = "acme_" + _rand(32, "0123456789abcdef")
    shapes = {
        "github": "ghp_" + _rand(36),
        "github_pat": "github_pat_" + _rand(22) + "_" + _rand(59),
        "gitlab": "glpat-" + _rand(20),
        "aws_id": "AKIA" + _rand(16, string.ascii_uppercase + string.digits),
        "slack": "xoxb-" + _rand(11, string.digits) + "-" + _rand(24),
        "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJ" + _rand(30) + "." + _rand(43),
    }
    project.write("shapes.txt", "\n".join([*shapes.values(), corp]))
    project.write("step.py", STEP)
    project.write(
        "testgate.yaml",
        f"""
        secrets:
          env: [DEPLOY_*]
          patterns: ['acme_[0-9a-f]{{32}}']
        pipeline:
          stages:
            - name: unit
              steps:
                - name: leaky
                  run: python step.py
                  reports: [junit.xml]
        alerts:
          - name: any_failure
            condition: "tests.failed > 0"
            severity: high
        notify:
          webhooks: ["{url}"]
        escalation:
          default: {{severity: high}}
          webhooks:
            - {{url: "{url}", format: json, min_severity: low}}
        """,
    )
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
    env = {"GITHUB_TOKEN": gh_env, "AWS_SECRET_ACCESS_KEY": aws, "DEPLOY_HOOK": hook, "PEM": pem}
    run = project.run_subprocess("run", "--html", "out/report.html", env=env)
    assert run.code == 1, run.err
    for fmt, out in (
        ("markdown", "out/summary.md"),
        ("github", "out/annotations.txt"),
        ("junit", "out/merged.xml"),
    ):
        rendered = project.run_subprocess("report", "--format", fmt, "-o", out)
        assert rendered.code == 0, rendered.err

    basic = base64.b64encode(("x-access-token:" + gh_env).encode()).decode()
    raw = {
        "GITHUB_TOKEN": gh_env,
        "AWS_SECRET_ACCESS_KEY": aws,
        "DEPLOY_HOOK": hook,
        "pattern": corp,
        "private key line": PEM_BODY.splitlines()[1],
        # the token inside git's Basic header: a base64 form at an offset
        "base64": basic[20:-4],
        "split token tail": gh_env[12:],
        **shapes,
    }
    state = project.root / ".testgate"
    log = next(state.glob("runs/*/logs/unit__leaky.log")).read_text()
    outputs = {
        "console": run.out + run.err,
        "step log": log,
        "history": _dump(state / "history.db"),
        "html": (project.root / "out/report.html").read_text(),
        "markdown": (project.root / "out/summary.md").read_text(),
        "annotations": (project.root / "out/annotations.txt").read_text(),
        "merged junit": (project.root / "out/merged.xml").read_text(),
        "webhooks": "\n".join(b.decode() for b in received),
        **{
            str(p.relative_to(project.root)): p.read_text("utf-8", "replace")
            for p in _files_under(state)
        },
    }
    leaks = [
        (what, where) for what, v in raw.items() for where, text in outputs.items() if v in text
    ]
    assert leaks == []

    # masked, not dropped: the text around each secret is still there
    assert "gh=*** aws=*** hook=*** corp=***" in log
    assert "split=*** end" in log
    assert log.count("split=*** end") == 2
    summary = json.loads((state / "latest/summary.json").read_text())
    leaks_test = next(t for t in summary["tests"] if t["name"] == "leaks")
    assert leaks_test["message"].startswith("login failed for gh=*** aws=***")
    assert leaks_test["properties"]["auth"] == "Bearer ***"
    assert len(received) == 2  # the alert and the escalation did go out
    assert "***" in outputs["webhooks"]
    assert "::error" in outputs["annotations"]
    assert "***" in outputs["annotations"]


def test_ingest_masks_the_environments_secrets_and_token_shapes(project: Project) -> None:
    """Reports made elsewhere: no configuration, the environment's secrets and the shapes."""
    value = "pw-" + _rand(16)
    token = "glpat-" + _rand(20)
    project.write(
        "junit.xml",
        '<testsuite name="s"><testcase classname="c" name="t">'
        f'<failure message="db login {value} failed">token {token}</failure>'
        "</testcase></testsuite>",
    )
    out = project.run_subprocess("ingest", "junit.xml", "-o", "s.json", env={"DB_PASSWORD": value})
    assert out.code == 0, out.err
    text = (project.root / "s.json").read_text()
    test = json.loads(text)["tests"][0]
    assert test["message"] == "db login *** failed"
    assert test["trace"] == "token ***"
    assert value not in text + out.out + out.err
    assert token not in text + out.out + out.err
