"""Triage through the workflow, end to end with real pytest runs: the summary and history carry
categories and fingerprints, the failure digest, first seen, escalation webhooks to a real local
receiver, block_deployment refusing ``gate --env``, and ``retry_on``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from testgate.history.store import open_store
from testgate.model import read_summary
from testgate.testing import Project

PY = sys.executable

HELPERS = """
def check(x):
    if x > 2:
        raise ValueError(f"bad value {x}")
    return x
"""

FAILING = """
import socket
import pytest
from helpers import check

@pytest.mark.parametrize("v", [3, 4])
def test_param(v):
    check(v)

def test_db():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=2)
"""

CONFIG = f"""
project: demo
pipeline:
  stages:
    - name: unit
      steps:
        - name: pytest
          run: {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests
          reports: [reports/junit.xml]
"""


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def make_repo(project: Project, config: str = CONFIG, tests: str = FAILING) -> None:
    project.write("testgate.yaml", config)
    project.write("helpers.py", HELPERS)
    project.write("tests/test_a.py", tests)
    project.write("tests/conftest.py", "import sys, os\nsys.path.insert(0, os.getcwd())\n")
    project.write(".github/CODEOWNERS", "* @org/everyone\n/helpers.py @alice\n")
    project.write(".gitignore", ".testgate/\nreports/\n")
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "first")


def test_red_run_writes_digest_and_history_names_first_seen(project: Project) -> None:
    make_repo(project)
    project.run("run", "-q").assert_code(1)
    summary = read_summary(project.root / ".testgate" / "latest" / "summary.json")
    failed = {t.name: t for t in summary.tests if t.status == "failed"}
    assert failed["test_param[3]"].category == "exception"
    assert failed["test_db"].category == "infrastructure"
    assert failed["test_param[3]"].fingerprint == failed["test_param[4]"].fingerprint
    assert failed["test_db"].fingerprint != failed["test_param[3]"].fingerprint
    digest = (project.root / ".testgate" / "latest" / "failures.md").read_text()
    assert "2 clusters" in digest
    assert "python -m pytest 'tests/test_a.py::test_param[3]'" in digest
    assert "`@alice`" in digest  # CODEOWNERS of the helper the failure is in

    first_commit = git(project.root, "rev-parse", "HEAD")
    project.write("README.md", "changed\n")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "second")
    project.run("run", "-q").assert_code(1)
    out = project.run("triage", "--json")
    out.assert_code(1)
    doc = json.loads(out.out)
    top = doc["clusters"][0]
    assert top["tests"] == ["tests.test_a::test_param[3]", "tests.test_a::test_param[4]"]
    assert top["first_seen"]["runs_ago"] == 1
    assert top["first_seen"]["commit"] == first_commit
    text = project.run("triage").out
    assert f"first seen 1 run ago in {first_commit[:10]}" in text

    # the store has the fingerprints of both runs' failures
    with open_store(f"sqlite:///{project.root / '.testgate' / 'history.db'}") as store:
        seen = store.first_seen([top["fingerprint"]])
    assert seen[top["fingerprint"]].commit == first_commit

    # a green run: no digest left to mislead, and the files changed since green are listed later
    project.write("tests/test_a.py", "def test_ok():\n    assert True\n")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "fix")
    project.run("run", "-q").assert_success()
    assert not (project.root / ".testgate" / "latest" / "failures.md").exists()
    project.write("tests/test_a.py", "def test_ok():\n    assert False\n")
    project.run("run", "-q").assert_code(1)
    digest = (project.root / ".testgate" / "latest" / "failures.md").read_text()
    assert "1 file changed since the last green run" in digest
    assert "`tests/test_a.py`" in digest


def test_triage_of_a_summary_without_history(project: Project, tmp_path: Path) -> None:
    make_repo(project)
    project.run("run", "-q", "--no-record").assert_code(1)
    out = project.run(
        "triage", "--no-history", "--format", "markdown", "-o", str(tmp_path / "t.md")
    )
    out.assert_code(1)
    assert "## 1. exception:" in (tmp_path / "t.md").read_text()
    from testgate import api

    t = api.triage(config=project.root / "testgate.yaml")
    assert [c.size for c in t.clusters] == [2, 1]
    assert t.clusters[0].category == "exception"
    bad = project.run("triage", "--summary", str(tmp_path / "missing.json"))
    bad.assert_code(2)
    assert "no such summary file" in bad.err


class _Receiver(BaseHTTPRequestHandler):
    got: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append({"path": self.path, "json": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.got = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.got
    finally:
        server.shutdown()
        server.server_close()


ESCALATION = """
escalation:
  escalation_matrix:
    unit_test_failure: {{severity: medium, owner: component_developer, sla: "2 hours"}}
    e2e_test_failure: {{severity: critical, owner: platform_team, sla: "30 minutes"}}
  webhooks:
    - {{url: "{url}/slack", format: slack, min_severity: medium}}
    - {{url: "{url}/json", format: json, min_severity: critical}}
gates:
  tests_gate:
    criteria:
      failures: {{metric: tests.failed, threshold: "<= 100"}}
deployment_gates:
  production:
    required_gates: [tests_gate]
"""


def test_webhooks_and_block_deployment(
    project: Project, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, got = receiver
    config = CONFIG.replace("name: unit", "name: e2e") + ESCALATION.format(url=url)
    make_repo(project, config)
    project.run("run", "-q").assert_code(1)
    paths = sorted(g["path"] for g in got)
    assert paths == ["/json", "/slack"]
    slack = next(g["json"] for g in got if g["path"] == "/slack")
    assert slack["text"].startswith("testgate: 3 failures in 2 clusters (demo on main")
    assert {f["title"] for f in slack["attachments"][0]["fields"]} >= {"SLA", "owners"}
    generic = next(g["json"] for g in got if g["path"] == "/json")
    assert generic["schema"] == "testgate.triage-notification/1"
    assert {c["severity"] for c in generic["clusters"]} == {"critical"}
    assert generic["clusters"][0]["sla"] == "30 minutes"
    assert "platform_team" in generic["clusters"][0]["owners"]

    block = json.loads((project.root / ".testgate" / "deploy-block.json").read_text())
    assert block["schema"] == "testgate.deploy-block/1"
    refused = project.run("gate", "--env", "production")
    refused.assert_code(3)
    assert "block_deployment" in refused.out
    project.run("gate").assert_success()  # only deployments are blocked

    project.write("tests/test_a.py", "def test_ok():\n    assert True\n")
    project.run("run", "-q").assert_success()
    assert not (project.root / ".testgate" / "deploy-block.json").exists()
    project.run("gate", "--env", "production").assert_success()


RETRY_TESTS = """
import os, socket
from pathlib import Path

def test_needs_db():
    marker = Path(os.environ["MARKER"])
    if not marker.exists():
        marker.write_text("tried")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=2)  # refused: the db is down
"""


def test_retry_on_infrastructure_reruns_once_and_is_not_flaky(project: Project) -> None:
    marker = project.root / "marker"
    config = f"""
project: demo
pipeline:
  stages:
    - name: unit
      steps:
        - name: pytest
          run: {PY} -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests
          reports: [reports/junit.xml]
          env: {{MARKER: "{marker}"}}
          retry_on: [infrastructure]
        - name: plain
          run: {PY} -c "import sys; sys.exit(1)"
          retry_on: [infrastructure]
          allow_failure: true
"""
    make_repo(project, config, RETRY_TESTS)
    project.run("run", "-q").assert_success()
    summary = read_summary(project.root / ".testgate" / "latest" / "summary.json")
    step = next(s for s in summary.steps if s.name == "pytest")
    assert step.status == "passed"
    assert step.attempts == 2
    assert step.retried_on == "infrastructure: 1 failure (connection refused)"
    assert [(t.name, t.status, t.flaky) for t in summary.tests] == [
        ("test_needs_db", "passed", False)
    ]
    plain = next(s for s in summary.steps if s.name == "plain")
    assert (plain.attempts, plain.retried_on) == (1, None)  # its failure is not infrastructure
    log = (project.root / ".testgate" / "runs" / summary.id / step.log).read_text()  # type: ignore[operator]
    assert "retry_on runs the step once more" in log
    with open_store(f"sqlite:///{project.root / '.testgate' / 'history.db'}") as store:
        info = store.get_run(summary.id)
        assert info is not None
        results = store.run_results(info)
    # noise, not flakiness: the history has the retry on the run, and a test that passed once
    assert info.meta["retried"] == [{"step": "unit/pytest", "retried_on": step.retried_on}]
    assert [(r.status, r.attempts, r.flaky) for r in results] == [("passed", 1, False)]


def test_bad_triage_sections_are_located_and_the_seed_matrix_validates(project: Project) -> None:
    project.write(
        "testgate.yaml",
        """
        project: x
        triage:
          categories:
            - name: db
              message: "("
        escalation:
          db_failure:
            severity: urgent
        """,
    )
    out = project.run("validate")
    out.assert_code(2)
    assert "testgate.yaml:5: triage.categories[0].message: '(' is not a valid regular" in out.err
    assert "testgate.yaml:8: escalation.db_failure.severity: 'urgent' is not one of" in out.err
    project.write(
        "testgate.yaml",
        """
        project: x
        escalation:
          escalation_matrix:
            unit_test_failure:
              severity: medium
              owner: "component_developer"
              sla: "2 hours"
            security_gate_failure:
              severity: critical
              owner: "security_team"
              sla: "immediate"
        """,
    )
    project.run("validate").assert_success()
