"""Process trees: timeouts, retries, leftovers and interrupts never leave a process behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testgate.testing import Project

from .conftest import Runner, pid_alive

# A step that starts a grandchild which writes its pid and sleeps; MODE says how stubborn it is:
# plain (dies on SIGTERM), ignore (ignores SIGTERM), escape (ignores it and leaves the group).
SPAWN_PY = '''
import os, signal, subprocess, sys, time
mode = sys.argv[1]
child = """
import os, signal, sys, time
mode = sys.argv[1]
if mode in ("ignore", "escape"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "escape":
    os.setsid()
with open(mode + ".pid.tmp", "w") as fh:
    fh.write(str(os.getpid()))
os.replace(mode + ".pid.tmp", mode + ".pid")
time.sleep(60)
"""
subprocess.Popen([sys.executable, "-c", child, mode])
time.sleep(60)
'''


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    """Wait until the shell has written a whole line to *path*."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("mode", ["plain", "ignore", "escape"])
def test_a_timeout_kills_the_whole_tree(project: Project, run_lib: Runner, mode: str) -> None:
    project.write("spawn.py", SPAWN_PY)
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: s
              steps:
                - name: hang
                  run: [{sys.executable}, spawn.py, {mode}]
                  timeout: 2s
        """,
    )
    outcome = run_lib(grace=0.3)
    step = outcome.run.steps[0]
    assert (step.status, step.reason) == ("timed_out", "timed out after 2s")
    pid = int((project.root / f"{mode}.pid").read_text())
    assert not pid_alive(pid)
    log = (outcome.run_dir / step.log).read_text()  # type: ignore[operator]
    assert "timed out after 2s; its process tree was killed" in log
    assert outcome.exit_code == 1


def test_leftovers_of_a_finished_step_are_killed(project: Project, run_lib: Runner) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - name: background
                  run: sleep 60 & echo $! > bg.pid
                - name: daemon
                  run: (setsid sh -c 'echo $$ > daemon.pid; exec sleep 60' &); sleep 0.5
        """,
    )
    outcome = run_lib()
    assert [s.status for s in outcome.run.steps] == ["passed", "passed"]
    for name in ("bg.pid", "daemon.pid"):
        assert not pid_alive(int((project.root / name).read_text())), name


def test_retries_rerun_a_failing_step(project: Project, run_lib: Runner) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - name: second-time-lucky
                  run: echo x >> tries; test $(wc -l < tries) -ge 2
                  retries: 3
                - name: hopeless
                  run: echo trying; exit 4
                  retries: 2
        """,
    )
    outcome = run_lib()
    lucky, hopeless = outcome.run.steps
    assert (lucky.status, lucky.attempts) == ("passed", 2)
    assert (hopeless.status, hopeless.attempts, hopeless.exit_code) == ("failed", 3, 4)
    log = (outcome.run_dir / hopeless.log).read_text()  # type: ignore[operator]
    assert log.count("trying") == 3
    assert "=== testgate: attempt 3 of 3 ===" in log


def test_environment_cwd_and_log(project: Project, run_lib: Runner) -> None:
    (project.root / "sub").mkdir(parents=True)
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: s
              steps:
                - name: "show env/cwd"
                  cwd: sub
                  env: {GREETING: hello}
                  run: echo "$GREETING $TESTGATE_STEP $TESTGATE_RUN_ID $(pwd)"; echo oops >&2
                - name: missing
                  run: [no-such-program-testgate]
        """,
    )
    outcome = run_lib()
    ok, missing = outcome.run.steps
    assert ok.log == "logs/s__show_env_cwd.log"
    text = (outcome.run_dir / ok.log).read_text()
    run_id = outcome.run.id
    sub = (project.root / "sub").resolve()
    assert text == f"hello s/show env/cwd {run_id} {sub}\noops\n"
    assert (missing.status, missing.exit_code) == ("failed", 127)
    assert "cannot start" in (outcome.run_dir / missing.log).read_text()  # type: ignore[operator]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_kills_everything_and_still_writes_the_summary(
    project: Project, sig: signal.Signals
) -> None:
    project.write(
        "testgate.yaml",
        """
        pipeline:
          stages:
            - name: first
              steps: [{name: quick, run: "true"}]
            - name: s
              depends_on: [first]
              steps:
                - name: long
                  run: sleep 30 & echo $! > gc.pid; echo $$ > step.pid; wait
            - name: after
              depends_on: [s]
              steps: [{name: never, run: "true"}]
        """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "testgate", "run", "--workers", "2"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(project.root / "step.pid")
        _wait_for(project.root / "gc.pid")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    summary = json.loads((project.root / ".testgate/latest/summary.json").read_text())
    assert summary["run"]["interrupted"] is True
    status = {s["name"]: (s["status"], s["reason"]) for s in summary["steps"]}
    name = sig.name
    assert status["long"] == ("cancelled", f"cancelled: interrupted ({name})")
    assert status["quick"] == ("passed", None)
    assert status["never"] == ("cancelled", f"cancelled: interrupted ({name})")
    for f in ("step.pid", "gc.pid"):
        assert not pid_alive(int((project.root / f).read_text())), f
    assert f"warning: interrupted ({name}): stopping every step and service" in out
    assert "testgate: INTERRUPTED" in out


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("python -m pytest -q", ["python", "-m", "pytest", "-q"]),
        ("./run.sh  --fast", ["./run.sh", "--fast"]),
        ("true", ["true"]),
        ("exit 1", None),
        ("cd sub && make", None),
        ("pytest --junitxml=out.xml", None),
        ("echo $HOME", None),
        ("ls *.py", None),
        ("say 'hi there'", None),
        ("a | b", None),
    ],
)
def test_commands_without_shell_syntax_skip_the_shell(command: str, argv: list[str] | None) -> None:
    from testgate.pipeline.process import _direct_argv

    assert _direct_argv(command) == argv


def test_kill_9_of_testgate_leaves_no_step_or_service_process(project: Project) -> None:
    """``kill -9`` gives testgate no chance to clean up: its watchdog kills the steps' and the
    services' trees (issue 10, item 2.15)."""
    project.write(
        "testgate.yaml",
        """
        services:
          db:
            start: sleep 60 & echo $! > svc-child.pid; echo $$ > svc.pid; wait
            ready: {command: "test -s svc-child.pid", timeout: 20s, interval: 50ms}
        pipeline:
          stages:
            - name: s
              steps:
                - name: long
                  services: [db]
                  run: sleep 60 & echo $! > gc.pid; echo $$ > step.pid; wait
        """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "testgate", "run", "--no-record"],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for name in ("svc.pid", "svc-child.pid", "step.pid", "gc.pid"):
            _wait_for(project.root / name)
        names = ("svc.pid", "svc-child.pid", "step.pid", "gc.pid")
        pids = {n: int((project.root / n).read_text()) for n in names}
        assert all(pid_alive(p) for p in pids.values())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(pid_alive(p) for p in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {n: pid_alive(p) for n, p in pids.items()} == dict.fromkeys(pids, False)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
