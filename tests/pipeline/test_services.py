"""Services: a real HTTP server started once, probed, used by two steps and stopped."""

from __future__ import annotations

import socket
import sys

from testgate.testing import Project

from .conftest import Runner, pid_alive


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FETCH = (
    "import sys, urllib.request; "
    "o = urllib.request.build_opener(urllib.request.ProxyHandler({})); "
    "print(o.open(sys.argv[1], timeout=5).status)"
)


def test_a_service_is_started_once_probed_shared_and_stopped(
    project: Project, run_lib: Runner
) -> None:
    port = _free_port()
    project.write("www/index.html", "hello\n")
    project.write(
        "testgate.yaml",
        f"""
        services:
          web:
            cwd: www
            start: echo $$ >> ../web.pid; exec {sys.executable} -m http.server -b 127.0.0.1 {port}
            ready:
              http: http://127.0.0.1:{port}/
              timeout: 20s
              interval: 50ms
        pipeline:
          stages:
            - name: setup
              steps: [{{name: no-service, run: "true"}}]
            - name: e2e
              depends_on: [setup]
              steps:
                - name: one
                  services: [web]
                  run: [{sys.executable}, -c, "{FETCH}", "http://127.0.0.1:{port}/index.html?one"]
                - name: two
                  services: [web]
                  run: [{sys.executable}, -c, "{FETCH}", "http://127.0.0.1:{port}/index.html?two"]
        """,
    )
    outcome = run_lib(workers=2)
    assert [s.status for s in outcome.run.steps] == ["passed"] * 3, outcome.run.steps
    pids = (project.root / "web.pid").read_text().split()
    assert len(pids) == 1  # started once for both steps
    assert not pid_alive(int(pids[0]))
    log = (outcome.run_dir / "logs/services/web.log").read_text()
    assert "GET /index.html?one" in log
    assert "GET /index.html?two" in log


def test_a_service_that_never_gets_ready_fails_its_steps(project: Project, run_lib: Runner) -> None:
    port = _free_port()
    project.write(
        "testgate.yaml",
        f"""
        services:
          db:
            start: echo $$ > db.pid; echo db - cannot open data directory; exec sleep 30
            ready: {{tcp: "127.0.0.1:{port}", timeout: 0.5s, interval: 0.1s}}
        pipeline:
          stages:
            - name: s
              steps:
                - {{name: a, run: "true", services: [db]}}
                - {{name: b, run: "true", services: [db]}}
                - {{name: c, run: "true"}}
        """,
    )
    outcome = run_lib(workers=2)
    a, b, c = outcome.run.steps
    for step in (a, b):
        assert step.status == "failed"
        assert step.reason is not None
        assert step.reason.startswith(
            "service 'db' did not become ready within 0.5s (probe 127.0.0"
        )
        log = (outcome.run_dir / step.log).read_text()  # type: ignore[operator]
        assert "db - cannot open data directory" in log
    assert c.status == "passed"
    assert not pid_alive(int((project.root / "db.pid").read_text()))


def test_a_service_that_exits_fails_its_steps_and_runs_its_stop_command(
    project: Project, run_lib: Runner
) -> None:
    project.write(
        "testgate.yaml",
        """
        services:
          crashy:
            start: echo "boom"; exit 3
            ready: {command: "false", timeout: 5s}
          stoppable:
            start: exec sleep 30
            stop: echo stopped > stopped.txt
        pipeline:
          stages:
            - name: s
              steps:
                - {name: a, run: "true", services: [crashy]}
                - {name: b, run: "true", services: [stoppable]}
        """,
    )
    outcome = run_lib(workers=1)
    a, b = outcome.run.steps
    assert (a.status, a.reason) == (
        "failed",
        "service 'crashy' exited with code 3 before it was ready",
    )
    assert b.status == "passed"
    assert (project.root / "stopped.txt").read_text() == "stopped\n"
