"""`testgate run` end to end: gates, history, alerts to real webhooks, HTML, exit codes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from testgate.testing import Project

PASSING_JUNIT = (
    '<testsuite name="s"><testcase classname="c" name="ok"/>'
    '<testcase classname="c" name="also_ok"/></testsuite>'
)
FAILING_JUNIT = (
    '<testsuite name="s"><testcase classname="c" name="ok"/>'
    '<testcase classname="c" name="bad"><failure message="boom"/></testcase></testsuite>'
)


def _config(junit: str, *, extra: str = "", exit_code: int = 0) -> str:
    return f"""
pipeline:
  stages:
    - name: unit
      steps:
        - name: tests
          run: >-
            printf '%s' '{junit}' > junit.xml; exit {exit_code}
          reports: [junit.xml]
{extra}"""


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, object]], list[int]]]:
    """A real local HTTP server: records JSON bodies; answers with the codes queued in *status*."""
    received: list[dict[str, object]] = []
    status: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(status.pop(0) if status else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, status
    server.shutdown()


def test_run_records_history_and_writes_html(project: Project) -> None:
    project.write("testgate.yaml", _config(PASSING_JUNIT))
    project.run("run", "--html", "out/report.html").assert_success()
    assert "<!doctype html>" in (project.root / "out/report.html").read_text()
    listed = project.run("history", "list", "--json").assert_success()
    runs = json.loads(listed.out)
    assert len(runs) == 1


def test_no_record_leaves_no_history(project: Project) -> None:
    project.write("testgate.yaml", _config(PASSING_JUNIT))
    project.run("run", "--no-record").assert_success()
    assert not (project.root / ".testgate/history.db").exists()


def test_gate_table_is_printed_and_a_failed_gate_outranks_failed_tests(project: Project) -> None:
    gates = """
gates:
  test_gate:
    criteria:
      all:
        metric: tests.pass_rate
        threshold: "100% pass"
    enforcement:
      blocking: true
"""
    project.write("testgate.yaml", _config(FAILING_JUNIT, extra=gates, exit_code=1))
    out = project.run("run").assert_code(3)
    out.fnmatch_lines(["*test_gate*all*50%*100% pass*FAIL*c::bad: boom*"])
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert summary["verdict"]["verdict"] == "fail"


def test_alerts_fire_and_reach_a_real_webhook(
    project: Project, webhook: tuple[str, list[dict[str, object]], list[int]]
) -> None:
    url, received, _ = webhook
    alerts = f"""
alerts:
  - name: any_failure
    condition: "tests.failed > 0"
    severity: high
notify:
  webhooks:
    - url: {url}
"""
    project.write("testgate.yaml", _config(FAILING_JUNIT, extra=alerts, exit_code=1))
    out = project.run("run").assert_code(1)
    assert "alert [high] any_failure" in out.err
    assert len(received) == 1
    assert "any_failure" in json.dumps(received[0])


def test_an_undeliverable_webhook_is_reported(
    project: Project, webhook: tuple[str, list[dict[str, object]], list[int]]
) -> None:
    url, _received, status = webhook
    status.extend([400])  # a client error is not retried
    alerts = f"""
alerts:
  - name: any_failure
    condition: "tests.failed > 0"
    severity: high
notify:
  webhooks:
    - url: {url}
"""
    project.write("testgate.yaml", _config(FAILING_JUNIT, extra=alerts, exit_code=1))
    out = project.run("run").assert_code(1)
    assert f"webhook {url} not delivered" in out.err


def test_a_failing_step_that_printed_nothing_says_so(project: Project) -> None:
    project.write(
        "testgate.yaml",
        "pipeline:\n  stages:\n    - name: unit\n      steps:\n        - name: quiet\n"
        "          run: exit 3\n",
    )
    out = project.run("run", "--no-record").assert_code(1)
    out.fnmatch_lines(
        ["── unit/quiet failed: last lines of *unit__quiet.log", "(the step printed nothing)"]
    )
