"""Step and service output reaches its log with secrets masked (docs/secrets.md): the secrets of
every environment a step or service sees, and what ``secrets:`` turns on or off."""

from __future__ import annotations

import os
import secrets
import string
import sys
from pathlib import Path

import pytest

from testgate.masking import Masker
from testgate.pipeline.process import spawn
from testgate.testing import Project

from .conftest import Runner


def _token(prefix: str, n: int = 36) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def test_secrets_from_step_and_service_env_are_masked_in_their_logs(
    project: Project, run_lib: Runner
) -> None:
    step_secret = _token("step-value-", 12)
    svc_secret = _token("svc-value-", 12)
    project.write(
        "testgate.yaml",
        f"""
        services:
          svc:
            start: echo "service up with $SVC_PASSWORD"; exec sleep 30
            env: {{SVC_PASSWORD: {svc_secret}}}
            ready: {{command: "true", timeout: 10s, interval: 50ms}}
        pipeline:
          stages:
            - name: unit
              steps:
                - name: s
                  services: [svc]
                  env: {{API_TOKEN: {step_secret}}}
                  run: echo "calling with $API_TOKEN"; sleep 0.3; echo "again $API_TOKEN" >&2
        """,
    )
    outcome = run_lib()
    assert outcome.run.steps[0].status == "passed", outcome.run.steps
    step_log = (outcome.run_dir / "logs/unit__s.log").read_text()
    svc_log = (outcome.run_dir / "logs/services/svc.log").read_text()
    assert "calling with ***" in step_log
    assert "again ***" in step_log
    assert "service up with ***" in svc_log
    for text in (step_log, svc_log):
        assert step_secret not in text
        assert svc_secret not in text


def test_shapes_false_and_exclude_env_show_what_they_name(
    project: Project, run_lib: Runner
) -> None:
    """The switches work both ways: with ``shapes: false`` a token-shaped text is no longer
    masked, and a variable in ``exclude_env`` is shown; a configured one still is."""
    token = _token("ghp_")
    project.write(
        "testgate.yaml",
        f"""
        secrets:
          shapes: false
          env: [DEPLOY_URL]
          exclude_env: [SORT_KEY]
        pipeline:
          stages:
            - name: unit
              steps:
                - name: s
                  env: {{SORT_KEY: lastname, DEPLOY_URL: "https://deploy.example/hook-123"}}
                  run: echo "{token} sorted by $SORT_KEY to $DEPLOY_URL"
        """,
    )
    outcome = run_lib()
    log = (outcome.run_dir / "logs/unit__s.log").read_text()
    assert log == f"{token} sorted by lastname to ***\n"


def test_a_token_written_into_a_command_is_masked_in_the_summary(
    project: Project, run_lib: Runner
) -> None:
    token = _token("ghp_")
    project.write(
        "testgate.yaml",
        f"""
        pipeline:
          stages:
            - name: unit
              steps:
                - name: s
                  run: echo "pushing with {token}"
        """,
    )
    outcome = run_lib()
    step = outcome.run.steps[0]
    assert step.command == 'echo "pushing with ***"'
    assert (outcome.run_dir / "logs/unit__s.log").read_text() == "pushing with ***\n"


def test_a_log_that_cannot_be_written_does_not_kill_or_hang_the_step(tmp_path: Path) -> None:
    """On a full disk (/dev/full) the masked output is lost, but the pipe is still read to its
    end: the step neither blocks on a full pipe nor dies of SIGPIPE."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    handle = spawn(
        [sys.executable, "-c", "import sys\nfor _ in range(3000): print('y' * 100)"],
        cwd=tmp_path,
        env=dict(os.environ),
        log=Path("/dev/full"),
        masker=Masker(),
    )
    assert handle.wait(60) == 0
